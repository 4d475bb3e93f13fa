import { describe, expect, it } from 'vitest';
import { CallClient, ErrorCode, VideoCallEvent, errorMessage } from '@callgate/client';
import { createAccessToken } from '@callgate/server';
import { EventQueue } from '../support/event-queue.js';
import { RawSocket } from '../support/raw-socket.js';
import { rawUser } from '../support/raw-user.js';
import { TEST_SECRET, sleep, serversPerTest, waitUntil, type TestServer } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';
import { talking } from '../support/calls.js';

let server: TestServer | undefined;
const tests = serversPerTest<TestUser>();
const opened = tests.opened;

async function setup(options: { graceMs?: number } = {}): Promise<TestServer> {
  server = await tests.start(options);
  return server;
}

async function user(userId: string): Promise<TestUser> {
  if (!server) throw new Error('no server');
  const created = await TestUser.connect(server, userId);
  opened.push(created);
  return created;
}


describe('sessions', () => {
  it('a second login replaces the first, which is told why; the call ends for the peer', async () => {
    await setup();
    const alice = await user('alice');
    const bob = await user('bob');
    await talking(alice, bob);

    const second = new CallClient({
      url: server!.url,
      token: await createAccessToken({ secret: TEST_SECRET, userId: 'alice' }),
    });
    await second.connect();
    const error = await alice.errors.next('REPLACED');
    expect(error).toMatchObject({ code: ErrorCode.REPLACED, codeName: 'REPLACED', message: errorMessage(ErrorCode.REPLACED) });
    await waitUntil('the old login to stop', () => alice.client.connectionState === 'disconnected');
    expect(await alice.errors.drain(100)).toEqual([]); // told once, as the server said it
    expect(await bob.events.next('FINISH')).toMatchObject({ event: VideoCallEvent.FINISH, userId: 'alice', errorCode: ErrorCode.DISCONNECT });

    const secondEvents = new EventQueue<number>();
    second.setVideoCallEventCallback((event, _peer, errorCode) => secondEvents.push(event * 1e6 + errorCode));
    expect(second.videoCallControl(VideoCallEvent.REQUEST, 'bob')).toBe(0);
    expect(await bob.events.next('REQUEST from the new login')).toMatchObject({ event: VideoCallEvent.REQUEST, userId: 'alice' });
    expect(await secondEvents.next('ringing')).toBe(VideoCallEvent.REPLY * 1e6);
    second.close();
  });

  it('the replaced socket gets error REPLACED on the wire, then close 4002', async () => {
    await setup();
    const first = await rawUser(server!, 'alice');
    const second = await rawUser(server!, 'alice');
    expect(await first.next('REPLACED')).toEqual({
      type: 'error',
      code: ErrorCode.REPLACED,
      name: 'REPLACED',
      message: errorMessage(ErrorCode.REPLACED),
    });
    expect((await first.closed).code).toBe(4002);
    second.close();
  });

  it('a deliberate close() ends the call at once, without waiting for the grace period', async () => {
    await setup({ graceMs: 60_000 });
    const alice = await user('alice');
    const bob = await user('bob');
    await talking(alice, bob);
    alice.client.close();
    expect(await bob.events.next('FINISH', 1000)).toMatchObject({ event: VideoCallEvent.FINISH, errorCode: ErrorCode.DISCONNECT });
  });

  it('after the grace period, a reconnect starts a new session and the SDK ends the lost call itself', async () => {
    await setup({ graceMs: 300 });
    const alice = await user('alice');
    const bob = await user('bob');
    await talking(alice, bob);
    alice.drop();
    expect(await bob.events.next('FINISH 100106')).toMatchObject({ event: VideoCallEvent.FINISH, errorCode: ErrorCode.DISCONNECT });
    await alice.reconnect();
    expect(alice.client.welcome?.resumed).toBe(false);
    expect(await alice.events.next('local FINISH')).toMatchObject({
      event: VideoCallEvent.FINISH,
      userId: 'bob',
      errorCode: ErrorCode.DISCONNECT,
    });
    // Both are free again.
    alice.client.videoCallControl(VideoCallEvent.REQUEST, 'bob');
    expect(await bob.events.next('REQUEST')).toMatchObject({ event: VideoCallEvent.REQUEST, userId: 'alice' });
  });

  it('a call to a user whose device is in its grace period waits for it, and rings when it is back', async () => {
    await setup({ graceMs: 5000 });
    const alice = await user('alice');
    const bob = await user('bob');
    bob.drop();
    await sleep(100);
    alice.client.videoCallControl(VideoCallEvent.REQUEST, 'bob', 0, 1, 5, 'are you there?');
    // Not REPLY 0 (ringing) while nothing rings.
    expect(await alice.events.drain(300)).toEqual([]);
    await bob.reconnect();
    expect(await alice.events.next('REPLY 0')).toMatchObject({ event: VideoCallEvent.REPLY, errorCode: 0 });
    expect(bob.client.welcome?.resumed).toBe(true);
    expect(await bob.events.next('REQUEST after resume')).toMatchObject({
      event: VideoCallEvent.REQUEST,
      userId: 'alice',
      userStr: 'are you there?',
    });
    expect(await bob.events.drain(200)).toEqual([]);
  });

  it('missed events arrive once, in order, after a resume', async () => {
    await setup({ graceMs: 5000 });
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');
    await talking(alice, bob);
    alice.drop();
    await sleep(100);
    bob.client.videoCallControl(VideoCallEvent.FINISH, 'alice', 0, 0, 0, 'bye');
    await bob.events.next('FINISH');
    carol.client.videoCallControl(VideoCallEvent.REQUEST, 'alice', 0, 0, 9);
    await alice.reconnect();
    await carol.events.next('REPLY 0');
    expect(alice.client.welcome?.resumed).toBe(true);
    const got = [await alice.events.next('FINISH'), await alice.events.next('REQUEST')];
    expect(got.map((e) => [e.event, e.userId, e.errorCode, e.param, e.userStr])).toEqual([
      [VideoCallEvent.FINISH, 'bob', 0, 0, 'bye'],
      [VideoCallEvent.REQUEST, 'carol', 0, 9, ''],
    ]);
    expect(await alice.events.drain(200)).toEqual([]);
  });

  it('no stale ringing: a call that waited and ended while the user was away is not replayed', async () => {
    await setup({ graceMs: 5000 });
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');
    alice.drop();
    await sleep(100);
    const waiting = bob.client.call('alice', { param: 1 });
    // bob's REQUEST holds alice while it waits for her device (on a cluster, carol's could overtake it otherwise).
    await new Promise((resolve) => waiting.once('waking', resolve));
    carol.client.videoCallControl(VideoCallEvent.REQUEST, 'alice');
    expect(await carol.events.next('BUSY')).toMatchObject({ errorCode: ErrorCode.BUSY });
    bob.client.videoCallControl(VideoCallEvent.FINISH, 'alice');
    expect(await bob.events.next('FINISH')).toMatchObject({ errorCode: ErrorCode.CANCEL });
    bob.client.videoCallControl(VideoCallEvent.REQUEST, 'alice', 0, 0, 2);
    await sleep(100);
    await alice.reconnect();
    await bob.events.next('REPLY 0');
    expect(await alice.events.next('the live REQUEST')).toMatchObject({ event: VideoCallEvent.REQUEST, userId: 'bob', param: 2 });
    expect(await alice.events.drain(200)).toEqual([]);
    alice.client.videoCallControl(VideoCallEvent.REPLY, 'bob', 0);
    expect(await bob.events.next('START')).toMatchObject({ event: VideoCallEvent.START });
  });
});

describe('controls are applied once', () => {
  it('a control whose answer was lost is re-sent after the resume and applied once', async () => {
    await setup({ graceMs: 5000 });
    const alice = await user('alice');
    const bob = await user('bob');
    alice.proxy.stall();
    const call = alice.client.call('bob', { param: 77 });
    const acked = new Promise<void>((resolve) => call.once('ringing', () => resolve()));
    expect(await bob.events.next('REQUEST')).toMatchObject({ event: VideoCallEvent.REQUEST, param: 77 });
    alice.drop();
    await alice.reconnect();
    expect(alice.client.welcome?.resumed).toBe(true);
    await acked;
    expect(await alice.events.next('REPLY 0')).toMatchObject({ event: VideoCallEvent.REPLY, errorCode: 0 });
    expect(await bob.events.drain(300)).toEqual([]);
    expect(await alice.events.drain(100)).toEqual([]);
    expect(call.state).toBe('ringing');
  });

  it('the server answers a repeated control id with its first answer and does not apply it again', async () => {
    await setup({ graceMs: 5000 });
    const bob = await user('bob');
    const raw = await RawSocket.open(server!);
    raw.send({ type: 'auth', token: await createAccessToken({ secret: TEST_SECRET, userId: 'alice' }) });
    const welcome = await raw.next('welcome');
    raw.send({ type: 'control', id: 'r1', event: 1, userId: 'bob' });
    // The ack and the event travel different paths; their order is not promised.
    const first = [await raw.next('REPLY 0 and ack'), await raw.next('REPLY 0 and ack')];
    expect(first).toContainEqual({ type: 'ack', id: 'r1' });
    expect(first).toContainEqual(expect.objectContaining({ type: 'event', seq: 1, event: VideoCallEvent.REPLY, errorCode: 0 }));
    raw.close();
    const again = await RawSocket.open(server!);
    again.send({
      type: 'auth',
      token: await createAccessToken({ secret: TEST_SECRET, userId: 'alice' }),
      resume: { sessionId: welcome.sessionId, lastSeq: 1 },
    });
    expect(await again.next('welcome')).toMatchObject({ type: 'welcome', resumed: true });
    again.send({ type: 'control', id: 'r1', event: 1, userId: 'bob' });
    expect(await again.next('ack')).toEqual({ type: 'ack', id: 'r1' });
    again.send({ type: 'control', id: 'f1', event: 4, userId: 'bob' });
    const finished = [await again.next('FINISH and ack'), await again.next('FINISH and ack')];
    expect(finished).toContainEqual({ type: 'ack', id: 'f1' });
    expect(finished).toContainEqual(expect.objectContaining({ type: 'event', event: VideoCallEvent.FINISH, errorCode: ErrorCode.CANCEL }));
    again.send({ type: 'control', id: 'f1', event: 4, userId: 'bob' });
    expect(await again.next('the same ack, not NOTINCALL')).toEqual({ type: 'ack', id: 'f1' });
    expect((await bob.events.drain(300)).map((e) => e.event)).toEqual([VideoCallEvent.REQUEST, VideoCallEvent.FINISH]);
    again.close();
  });
});

describe('one call per user, decided atomically', () => {
  it('20 simultaneous callers: exactly one rings, the others get BUSY', async () => {
    await setup();
    const callee = await user('callee');
    const callers = await Promise.all(Array.from({ length: 20 }, (_, i) => user(`caller${i}`)));
    for (const caller of callers) caller.client.videoCallControl(VideoCallEvent.REQUEST, 'callee');
    const answers = await Promise.all(callers.map((caller) => caller.events.next('an answer')));
    expect(answers.filter((a) => a.errorCode === 0)).toHaveLength(1);
    expect(answers.filter((a) => a.errorCode === ErrorCode.BUSY)).toHaveLength(19);
    expect(await callee.events.next('one REQUEST')).toMatchObject({ event: VideoCallEvent.REQUEST });
    expect(await callee.events.drain(200)).toEqual([]);
  });

  it('live calls get distinct non-zero room ids', async () => {
    await setup();
    const pairs = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => [await user(`a${i}`), await user(`b${i}`)] as const),
    );
    const rooms = await Promise.all(pairs.map(([a, b]) => talking(a, b)));
    expect(new Set(rooms).size).toBe(10);
    for (const room of rooms) {
      expect(room).toBeGreaterThan(0);
      expect(room).toBeLessThanOrEqual(0xffffffff);
    }
  });
});
