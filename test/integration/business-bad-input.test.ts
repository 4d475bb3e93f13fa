import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import type { RunningServer } from '@callgate/server';
import { RawSocket } from '../support/raw-socket.js';
import { TEST_BUSINESS_SECRET, startTestServer } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

let server: RunningServer | undefined;
const sockets: RawSocket[] = [];
const users: TestUser[] = [];

/** A bare WebSocket to `/business`, for what no SDK would send. */
async function rawLink(): Promise<RawSocket> {
  const link = await RawSocket.open(server!, '', { path: '/business' });
  sockets.push(link);
  return link;
}

afterEach(async () => {
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
