import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import type { RunningServer } from '@callgate/server';
import { RawSocket, upgradeStatus } from '../support/raw-socket.js';
import { TcpClient } from '../support/tcp-client.js';
import { TEST_BUSINESS_SECRET, startTestServer } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

let server: RunningServer | undefined;
const sockets: RawSocket[] = [];
const users: TestUser[] = [];
const tcpClients: TcpClient[] = [];

/** A bare WebSocket to `/business`, for what no SDK would send. */
async function rawLink(localAddress?: string): Promise<RawSocket> {
  const link = await RawSocket.open(server!, '', { path: '/business', ...(localAddress ? { localAddress } : {}) });
  sockets.push(link);
  return link;
}

/** Far longer than the deadlines these tests configure; far shorter than the 30 s ws waits for an unanswered close. */
const DEADLINE_MS = 10_000;

afterEach(async () => {
  tcpClients.splice(0).forEach((client) => client.destroy());
  sockets.splice(0).forEach((link) => link.close());
  await Promise.all(users.splice(0).map((u) => u.close()));
  await server?.close();
  server = undefined;
});

describe('the business endpoint refuses bad input and stays up', () => {
  it('a first message that is not auth gets NOT_AUTHENTICATED and close 4003', async () => {
    server = await startTestServer();
    for (const first of ['not json', JSON.stringify({ type: 'ack', id: 'x' })]) {
      const link = await rawLink();
      link.socket.send(first);
      expect(await link.messages.next('error')).toMatchObject({ type: 'error', code: ErrorCode.NOT_AUTHENTICATED });
      expect((await link.closed).code).toBe(4003);
    }
  });

  it('no auth in time closes with 4003', async () => {
    server = await startTestServer({ authTimeoutMs: 200 });
    const link = await rawLink();
    expect(await link.messages.next('error')).toMatchObject({ code: ErrorCode.NOT_AUTHENTICATED });
    expect((await link.closed).code).toBe(4003);
  });

  it('a socket that misses the auth deadline and never answers the close frame is cut off', async () => {
    server = await startTestServer({ authTimeoutMs: 200 });
    const silent = await TcpClient.open(server.port);
    tcpClients.push(silent);
    await silent.upgrade('/business');
    expect(await silent.closesWithin(DEADLINE_MS)).toBe(true);
  });

  it('caps sockets per client address like /ws: the next upgrade gets 429, other addresses still connect', async () => {
    server = await startTestServer({ limits: { maxConnectionsPerIp: 3 } });
    const url = `${server.url}/business`;
    for (let i = 0; i < 3; i++) await rawLink('127.0.0.2');
    expect(await upgradeStatus(url, {}, { localAddress: '127.0.0.2' })).toBe(429);
    const other = await rawLink('127.0.0.3');
    other.send({ type: 'auth', secret: TEST_BUSINESS_SECRET });
    expect(await other.next('welcome')).toMatchObject({ type: 'welcome' });
    sockets[0]!.close();
    await sockets[0]!.closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await upgradeStatus(url, {}, { localAddress: '127.0.0.2' })).toBe(101);
  });

  it('after five wrong secrets from one address, every attempt from it is refused with RATE_LIMITED for a while', async () => {
    server = await startTestServer();
    for (let i = 0; i < 5; i++) {
      const guess = await rawLink('127.0.0.2');
      guess.send({ type: 'auth', secret: `wrong-guess-${i}` });
      expect(await guess.next('refusal')).toMatchObject({ type: 'error', code: ErrorCode.UNAUTHORIZED });
      expect((await guess.closed).code).toBe(4001);
    }
    const right = await rawLink('127.0.0.2');
    right.send({ type: 'auth', secret: TEST_BUSINESS_SECRET });
    expect(await right.next('refusal')).toMatchObject({ type: 'error', code: ErrorCode.RATE_LIMITED, name: 'RATE_LIMITED' });
    expect((await right.closed).code).toBe(1008);

    const elsewhere = await rawLink('127.0.0.3');
    elsewhere.send({ type: 'auth', secret: TEST_BUSINESS_SECRET });
    expect(await elsewhere.next('welcome')).toMatchObject({ type: 'welcome' });
  });

  it('after auth, malformed messages get MALFORMED with a reason; stray acks are ignored; the link keeps working', async () => {
    server = await startTestServer();
    const link = await rawLink();
    link.socket.send(JSON.stringify({ type: 'auth', secret: TEST_BUSINESS_SECRET }));
    expect(await link.messages.next('welcome')).toMatchObject({ type: 'welcome', decisionTimeoutMs: 3000 });
    const bad = ['{', '[]', JSON.stringify({ type: 'control', id: 'c1', event: 9, userId: 'alice' }), JSON.stringify({ type: 'auth', secret: 'again' })];
    for (const message of bad) {
      link.socket.send(message);
      expect(await link.messages.next(`error for ${message}`)).toMatchObject({ type: 'error', code: ErrorCode.MALFORMED, message: expect.any(String) });
    }
    link.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await link.messages.next('error for a binary frame')).toMatchObject({ code: ErrorCode.MALFORMED });
    link.socket.send(JSON.stringify({ type: 'ack', id: 'no-such-event', errorCode: 5 }));
    link.socket.send(JSON.stringify({ type: 'control', id: 'c2', event: VideoCallEvent.FINISH, userId: 'alice' }));
    expect(await link.messages.next('result')).toEqual({ type: 'result', id: 'c2', errorCode: ErrorCode.NOTINCALL });
    link.socket.send(JSON.stringify({ type: 'get-user-state', id: 'q1', userId: 'alice' }));
    expect(await link.messages.next('user state')).toEqual({ type: 'user-state', id: 'q1', userId: 'alice', state: 'offline' });
  });

  it('a raw link that never acks leaves the call undecided until the timeout, then refused', async () => {
    server = await startTestServer({ businessTimeoutMs: 300 });
    const link = await rawLink();
    link.socket.send(JSON.stringify({ type: 'auth', secret: TEST_BUSINESS_SECRET }));
    await link.messages.next('welcome');
    const alice = await TestUser.connect(server, 'alice');
    const bob = await TestUser.connect(server, 'bob');
    users.push(alice, bob);
    alice.client.videoCallControl(VideoCallEvent.REQUEST, 'bob');
    expect(await link.messages.next('REQUEST event')).toMatchObject({ type: 'event', event: VideoCallEvent.REQUEST, decide: true });
    expect(await alice.events.next('refusal')).toMatchObject({ event: VideoCallEvent.REPLY, errorCode: ErrorCode.BUSINESS_UNAVAILABLE });
    link.socket.send(JSON.stringify({ type: 'ack', id: 'late', errorCode: 0 }));
    expect(await bob.events.drain(200)).toEqual([]);
  });
});
