import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * The baseline: the least a server can do to carry the same call over the same wire format.
 * It parses each JSON message, finds the recipient in a Map and forwards. No validation, no auth
 * (the user id is read from the token's `sub` without checking the signature), no call state,
 * no timers, no records, no resume. The only things it keeps are the Map of user id → socket and
 * each socket's `seq` counter, so that its events look like Callgate's.
 *
 *   auth                    → welcome to the sender
 *   control REQUEST         → event REQUEST to the peer, event REPLY 0 to the sender ("ringing")
 *   control REPLY 0         → event START to both, with a random roomId
 *   control REPLY ≠ 0       → event REPLY to the peer
 *   control FINISH          → event FINISH to both
 */
export interface Relay {
  url: string;
  close(): Promise<void>;
}

interface Control {
  type: string;
  token?: string;
  event?: number;
  userId?: string | number;
  errorCode?: number;
  flags?: number;
  param?: number;
  userStr?: string;
}

interface Peer {
  socket: WebSocket;
  userId: string;
  seq: number;
}

function subjectOf(token: string): string {
  const payload = token.split('.')[1] ?? '';
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub?: string };
  return claims.sub ?? '';
}

export async function startRelay(host = '127.0.0.1'): Promise<Relay> {
  const users = new Map<string, Peer>();
  const wss = new WebSocketServer({ host, port: 0, path: '/ws' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));

  const send = (peer: Peer | undefined, event: number, from: string, callId: string, m: Control, param: number): void => {
    if (!peer) return;
    peer.seq += 1;
    peer.socket.send(
      JSON.stringify({
        type: 'event',
        seq: peer.seq,
        callId,
        event,
        userId: from,
        errorCode: m.errorCode ?? 0,
        flags: m.flags ?? 0,
        param,
        userStr: m.userStr ?? '',
      }),
    );
  };

  wss.on('connection', (socket) => {
    let self: Peer | undefined;
    socket.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Control;
      if (m.type === 'auth') {
        const userId = subjectOf(m.token ?? '');
        self = { socket, userId, seq: 0 };
        users.set(userId, self);
        socket.send(
          JSON.stringify({
            type: 'welcome',
            userId,
            sessionId: userId,
            resumed: false,
            graceMs: 0,
            heartbeat: { intervalMs: 20_000, timeoutMs: 40_000 },
            iceServers: [],
          }),
        );
        return;
      }
      if (m.type !== 'control' || !self) return;
      const peerId = String(m.userId);
      const peer = users.get(peerId);
      switch (m.event) {
        case 1:
          send(peer, 1, self.userId, `${self.userId}>${peerId}`, m, m.param ?? 0);
          send(self, 2, peerId, `${self.userId}>${peerId}`, { type: 'event', flags: m.flags ?? 0 }, m.param ?? 0);
          return;
        case 2:
          if ((m.errorCode ?? 0) === 0) {
            const roomId = 1 + Math.floor(Math.random() * 0xffff_fffe);
            send(peer, 3, self.userId, `${peerId}>${self.userId}`, m, roomId);
            send(self, 3, peerId, `${peerId}>${self.userId}`, m, roomId);
          } else {
            send(peer, 2, self.userId, `${peerId}>${self.userId}`, m, m.param ?? 0);
          }
          return;
        case 4:
          send(peer, 4, self.userId, '', m, 0);
          send(self, 4, peerId, '', m, 0);
          return;
      }
    });
    socket.on('close', () => {
      if (self && users.get(self.userId) === self) users.delete(self.userId);
    });
  });

  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://${host}:${port}`,
    close: () => new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close(() => resolve());
    }),
  };
}
