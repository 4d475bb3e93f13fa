import { describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import type { ServerOptions } from '@callgate/server';
import { RawSocket, upgradeStatus } from '../support/raw-socket.js';
import { rawUser } from '../support/raw-user.js';
import { serversPerTest, type TestServer } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';
import { capturedLogger } from '../support/captured-logs.js';

let server: TestServer | undefined;
const tests = serversPerTest<TestUser>();
const opened = tests.opened;

async function setup(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  server = await tests.start(options);
  return server;
}

async function user(userId: string): Promise<TestUser> {
  const created = await TestUser.connect(server!, userId);
  opened.push(created);
  return created;
}

/** A normal call between two fresh users runs to START and FINISH. */
async function callWorks(a: TestUser, b: TestUser): Promise<void> {
  a.client.videoCallControl(VideoCallEvent.REQUEST, b.userId);
  await b.events.next('REQUEST', 5000);
  await a.events.next('REPLY 0', 5000);
  b.client.videoCallControl(VideoCallEvent.REPLY, a.userId, 0);
  expect(await a.events.next('START', 5000)).toMatchObject({ event: VideoCallEvent.START });
  expect(await b.events.next('START', 5000)).toMatchObject({ event: VideoCallEvent.START });
  a.client.videoCallControl(VideoCallEvent.FINISH, b.userId);
  expect(await b.events.next('FINISH', 5000)).toMatchObject({ event: VideoCallEvent.FINISH });
}


describe('limits', () => {
  it('a connection that floods messages is told RATE_LIMITED and closed with 1008; others keep calling', async () => {
    await setup({ limits: { messagesPerSecond: 20, messageBurst: 40 } });
    const alice = await user('alice');
    const bob = await user('bob');
    const flooder = await rawUser(server!, 'flooder');
    for (let i = 0; i < 200; i++) flooder.send({ type: 'ping' });
    const messages: Record<string, unknown>[] = [];
    const closed = await flooder.closed;
    messages.push(...(await flooder.messages.drain(0)));
    expect(messages.find((m) => m.type === 'error')).toMatchObject({ code: ErrorCode.RATE_LIMITED, name: 'RATE_LIMITED' });
    expect(messages.filter((m) => m.type === 'pong').length).toBeLessThanOrEqual(41);
    expect(closed).toEqual({ code: 1008, reason: 'too many messages' });
    await callWorks(alice, bob);
  });

  it('call controls are limited per user, across that user’s connections', async () => {
    await setup({ limits: { controlsPerSecond: 2, controlBurst: 5 } });
    const spammer = await rawUser(server!, 'spammer');
    for (let i = 0; i < 10; i++) spammer.send({ type: 'control', id: `f${i}`, event: 4, userId: 'nobody' });
    const closed = await spammer.closed;
    const errors = (await spammer.messages.drain(0)).map((m) => m.code);
    expect(errors.filter((code) => code === ErrorCode.NOTINCALL)).toHaveLength(5);
    expect(errors).toContain(ErrorCode.RATE_LIMITED);
    expect(closed.code).toBe(1008);
    const again = await rawUser(server!, 'spammer');
    again.send({ type: 'control', id: 'g', event: 4, userId: 'nobody' });
    expect(await again.next()).toMatchObject({ code: ErrorCode.RATE_LIMITED });
    again.close();
  });

  it('refuses more connections per address than allowed, with 429', async () => {
    await setup({ limits: { maxConnectionsPerIp: 3 } });
    const sockets = await Promise.all([1, 2, 3].map(() => RawSocket.open(server!)));
    expect(await upgradeStatus(`${server!.url}/ws`)).toBe(429);
    sockets[0]!.close();
    await sockets[0]!.closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await upgradeStatus(`${server!.url}/ws`)).toBe(101);
    sockets.forEach((s) => s.close());
  });

  it('closes a connection that sends a message larger than the limit with 1009', async () => {
    await setup({ maxPayload: 4096 });
    const raw = await rawUser(server!, 'big');
    raw.send({ type: 'ping', padding: 'x'.repeat(5000) });
    expect((await raw.closed).code).toBe(1009);
  });

  it('a flooder and a client that stops reading at once: the reader is dropped, other calls go on', async () => {
    const logs = capturedLogger('warn');
    const unlimited = 1_000_000;
    await setup({
      graceMs: 60_000,
      logger: logs.logger,
      limits: {
        maxBufferedBytes: 64 * 1024,
        controlsPerSecond: unlimited,
        controlBurst: unlimited,
        messagesPerSecond: unlimited,
        messageBurst: unlimited,
      },
    });
    const stalled = await user('stalled');
    const alice = await user('alice');
    const bob = await user('bob');
    // The refuser answers every REQUEST with a refusal carrying 1000 bytes, which the stalled caller
    // never reads; kernel buffers take a few MB before the server's own queue grows.
    const refuser = await rawUser(server!, 'refuser');
    const big = 'x'.repeat(1000);
    refuser.socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; event?: number };
      if (message.type === 'event' && message.event === VideoCallEvent.REQUEST) {
        refuser.send({ type: 'control', event: 2, userId: 'stalled', errorCode: ErrorCode.REJECT, userStr: big });
      }
    });
    const flooder = await rawUser(server!, 'flooder');
    let flooding = true;
    const flood = (async () => {
      while (flooding) {
        for (let i = 0; i < 100; i++) flooder.send({ type: 'ping' });
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    stalled.proxy.stall();
    stalled.states.clear();
    let dropped = false;
    const droppedState = stalled.states.next('the stalled client to be dropped', 35_000).then((state) => {
      dropped = true;
      return state;
    });
    const until = Date.now() + 30_000;
    for (let round = 0; !dropped && Date.now() < until; round++) {
      stalled.client.videoCallControl(VideoCallEvent.REQUEST, 'refuser');
      if (round % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(await droppedState).toBe('reconnecting');
    expect(logs.lines().find((line) => line.msg === 'dropping a client that does not read')).toMatchObject({ userId: 'stalled' });
    expect(logs.lines().filter((line) => line.msg === 'closing an abusive connection')).toEqual([]);
    await callWorks(alice, bob);
    flooding = false;
    await flood;
    expect(flooder.messages.size).toBeGreaterThan(1000);
    refuser.close();
    flooder.close();
  }, 60_000);
});
