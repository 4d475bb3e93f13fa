/**
 * enterQueue against a stand-in server on the wire (the server side here is the test's, not
 * Callgate's): when the entry and its first position come before the ack, an `update` listener
 * added right after the await still hears where the customer stands.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { CallClient } from '@callgate/client';

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    for (const socket of server.clients) socket.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Answers auth with a welcome, and queue.enter with the entry, its position, then the ack. */
async function standIn(): Promise<string> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (socket: WebSocket) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; id?: string };
      if (message.type === 'auth') {
        socket.send(JSON.stringify({ type: 'welcome', userId: 'carol', sessionId: 's1', deviceId: 'd1', resumed: false, graceMs: 1000, heartbeat: { intervalMs: 20_000, timeoutMs: 40_000 }, iceServers: [], tokenExpiresAt: Date.now() + 3_600_000 }));
      } else if (message.type === 'queue.enter') {
        socket.send(JSON.stringify({ type: 'entry', seq: 1, entry: { id: 'e1', queue: 'billing', state: 'waiting', enteredAt: Date.now() } }));
        socket.send(JSON.stringify({ type: 'entry.position', entryId: 'e1', position: 2, ahead: 1, waitedMs: 0, estimatedWaitMs: 60_000, agentsAvailable: 0 }));
        socket.send(JSON.stringify({ type: 'ack', id: message.id, entryId: 'e1' }));
      }
    });
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return `ws://127.0.0.1:${address.port}`;
}

describe('enterQueue', () => {
  it('tells a position that came before it resolved once more, to a listener added after the await', async () => {
    const client = new CallClient({ url: await standIn(), token: 'any', media: false });
    try {
      await client.connect();
      const entry = await client.enterQueue('billing');
      const heard = await new Promise<number | undefined>((resolve) => {
        entry.on('update', (e) => resolve(e.position));
        setTimeout(() => resolve(undefined), 1000);
      });
      expect(heard).toBe(2);
    } finally {
      client.close();
    }
  });
});
