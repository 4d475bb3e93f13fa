import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallClient, ErrorCode, VideoCallEvent } from '@callgate/client';
import { createAccessToken } from '@callgate/server';
import { RawSocket } from '../support/raw-socket.js';
import { TEST_SECRET, startTestServer, type TestServer } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function authenticated(userId: string): Promise<RawSocket> {
  const raw = await RawSocket.open(server);
  raw.send({ type: 'auth', token: await createAccessToken({ secret: TEST_SECRET, userId }) });
  expect(await raw.next('welcome')).toMatchObject({ type: 'welcome', userId });
  return raw;
}

describe('malformed messages get MALFORMED and change nothing', () => {
  const bad: [string, unknown][] = [
    ['not JSON', '{"type":'],
    ['a JSON array', '[1,2]'],
    ['an unknown type', { type: 'dance' }],
    ['an unknown event', { type: 'control', event: 9, userId: 'bob' }],
    ['a bad user id', { type: 'control', event: 1, userId: 'bob smith' }],
    ['a negative param', { type: 'control', event: 1, userId: 'bob', param: -1 }],
    ['a param above 32 bits', { type: 'control', event: 1, userId: 'bob', param: 2 ** 32 }],
    ['a fractional flags', { type: 'control', event: 1, userId: 'bob', flags: 1.5 }],
    ['a userStr over 1024 bytes', { type: 'control', event: 1, userId: 'bob', userStr: 'é'.repeat(513) }],
    ['a string errorCode', { type: 'control', event: 2, userId: 'bob', errorCode: '0' }],
  ];
  for (const [what, message] of bad) {
    it(`rejects ${what}`, async () => {
      const raw = await authenticated('mal');
      raw.send(message);
      expect(await raw.next()).toMatchObject({ type: 'error', code: ErrorCode.MALFORMED, name: 'MALFORMED' });
      raw.send({ type: 'ping' });
      expect(await raw.next()).toEqual({ type: 'pong' });
      raw.close();
    });
  }

  it('rejects binary frames', async () => {
    const raw = await authenticated('bin');
    raw.socket.send(Buffer.from([1, 2, 3]));
    expect(await raw.next()).toMatchObject({ type: 'error', code: ErrorCode.MALFORMED });
    raw.close();
  });

  it('answers START from a client with INVALID_EVENT, echoing the control id', async () => {
    const raw = await authenticated('starter');
    raw.send({ type: 'control', id: 'x1', event: 3, userId: 'bob' });
    expect(await raw.next()).toMatchObject({ type: 'error', code: ErrorCode.INVALID_EVENT, ref: 'x1' });
    raw.close();
  });

  it('a refused REQUEST leaves both users free to call', async () => {
    const alice = await TestUser.connect(server, 'alice-bad');
    const bob = await TestUser.connect(server, 'bob-bad');
    const raw = await authenticated('carol-bad');
    raw.send({ type: 'control', event: 1, userId: 'bob-bad', userStr: 'x'.repeat(2000) });
    expect(await raw.next()).toMatchObject({ code: ErrorCode.MALFORMED });
    expect(alice.client.videoCallControl(VideoCallEvent.REQUEST, 'bob-bad')).toBe(0);
    expect(await bob.events.next('REQUEST')).toMatchObject({ event: VideoCallEvent.REQUEST, userId: 'alice-bad' });
    raw.close();
    await alice.close();
    await bob.close();
  });
});

describe('the SDK refuses what it cannot send, at once', () => {
  it('returns NOT_CONNECTED before connect()', async () => {
    const client = new CallClient({ url: server.url, token: 'unused' });
    expect(client.videoCallControl(VideoCallEvent.REQUEST, 'bob')).toBe(ErrorCode.NOT_CONNECTED);
  });

  it('returns MALFORMED for bad arguments and INVALID_EVENT for START', async () => {
    const user = await TestUser.connect(server, 'args');
    const { client } = user;
    expect(client.videoCallControl(VideoCallEvent.REQUEST, 'not valid!')).toBe(ErrorCode.MALFORMED);
    expect(client.videoCallControl(VideoCallEvent.REQUEST, 'bob', 0, 0, -5)).toBe(ErrorCode.MALFORMED);
    expect(client.videoCallControl(VideoCallEvent.REQUEST, 'bob', 0, 0, 0, 'x'.repeat(1025))).toBe(ErrorCode.MALFORMED);
    expect(client.videoCallControl(9 as never, 'bob')).toBe(ErrorCode.MALFORMED);
    expect(client.videoCallControl(VideoCallEvent.START, 'bob')).toBe(ErrorCode.INVALID_EVENT);
    expect(await user.events.drain(100)).toEqual([]);
    await user.close();
  });

  it('accepts numeric user ids as their decimal string', async () => {
    const caller = await TestUser.connect(server, 'numcaller');
    const callee = await TestUser.connect(server, '1234567');
    expect(caller.client.videoCallControl(VideoCallEvent.REQUEST, 1234567, 0, 3, 42, 'hi')).toBe(0);
    expect(await callee.events.next('REQUEST')).toEqual({
      event: VideoCallEvent.REQUEST,
      userId: 'numcaller',
      errorCode: 0,
      flags: 3,
      param: 42,
      userStr: 'hi',
    });
    expect(await caller.events.next('ringing')).toMatchObject({ event: VideoCallEvent.REPLY, userId: '1234567', errorCode: 0 });
    await caller.close();
    await callee.close();
  });

  it('refuses a call to oneself with SELF_CALL', async () => {
    const user = await TestUser.connect(server, 'narcissus');
    user.client.videoCallControl(VideoCallEvent.REQUEST, 'narcissus');
    expect(await user.events.next('REPLY')).toMatchObject({
      event: VideoCallEvent.REPLY,
      userId: 'narcissus',
      errorCode: ErrorCode.SELF_CALL,
    });
    await user.close();
  });
});
