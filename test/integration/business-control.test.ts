import { describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import type { RunningServer } from '@callgate/server';
import { talking } from '../support/calls.js';
import { serversPerTest, waitUntil } from '../support/servers.js';
import { TestBusiness } from '../support/test-business.js';
import { TestUser } from '../support/test-user.js';

const { REQUEST, REPLY, START, FINISH } = VideoCallEvent;

let server: RunningServer | undefined;
const tests = serversPerTest<{ close(): Promise<void> }>();
const opened = tests.opened;

async function setup(): Promise<{ alice: TestUser; bob: TestUser; biz: TestBusiness }> {
  server = await tests.start();
  const biz = await TestBusiness.connect(server);
  const alice = await TestUser.connect(server, 'alice');
  const bob = await TestUser.connect(server, 'bob');
  opened.push(biz, alice, bob);
  return { alice, bob, biz };
}

async function ringing(alice: TestUser, bob: TestUser): Promise<void> {
  alice.client.videoCallControl(REQUEST, 'bob');
  await bob.events.next('REQUEST');
  await alice.events.next('REPLY 0');
}


describe('the business server ends calls (videoCallControl FINISH)', () => {
  it('while ringing: both parties get FINISH with the code and userStr', async () => {
    const { alice, bob, biz } = await setup();
    await ringing(alice, bob);
    expect(await biz.client.videoCallControl(FINISH, 'bob', 8001, 0, 0, 'agent unavailable')).toBe(0);
    expect(await alice.events.next('FINISH at alice')).toMatchObject({ event: FINISH, userId: 'bob', errorCode: 8001, userStr: 'agent unavailable' });
    expect(await bob.events.next('FINISH at bob')).toMatchObject({ event: FINISH, userId: 'alice', errorCode: 8001, userStr: 'agent unavailable' });
    await ringing(alice, bob); // both are free again
  });

  it('while talking: both get FINISH with the code, flags, param and userStr, named by either party', async () => {
    const { alice, bob, biz } = await setup();
    await talking(alice, bob);
    expect(await biz.client.videoCallControl(FINISH, 'alice', 8002, 0x100, 42, 'time is up')).toBe(0);
    const expected = { event: FINISH, errorCode: 8002, flags: 0x100, param: 42, userStr: 'time is up' };
    expect(await alice.events.next('FINISH at alice')).toMatchObject({ ...expected, userId: 'bob' });
    expect(await bob.events.next('FINISH at bob')).toMatchObject({ ...expected, userId: 'alice' });
    expect(await bob.events.drain(200)).toEqual([]);
  });

  it('while the business server itself decides: only the caller hears FINISH', async () => {
    const { alice, bob, biz } = await setup();
    biz.decide = () => new Promise<number>(() => {});
    alice.client.videoCallControl(REQUEST, 'bob');
    await biz.events.next('REQUEST');
    expect(await biz.client.videoCallControl(FINISH, 'alice', 8003)).toBe(0);
    expect(await alice.events.next('FINISH at alice')).toMatchObject({ event: FINISH, userId: 'bob', errorCode: 8003 });
    expect(await bob.events.drain(300), 'bob was never told about the call').toEqual([]);
  });

  it('resolves to NOTINCALL for an idle or offline user, and nobody hears anything', async () => {
    const { alice, bob, biz } = await setup();
    expect(await biz.client.videoCallControl(FINISH, 'alice', 8004)).toBe(ErrorCode.NOTINCALL);
    expect(await biz.client.videoCallControl(FINISH, 'nobody', 8004)).toBe(ErrorCode.NOTINCALL);
    expect(await alice.events.drain(200)).toEqual([]);
    expect(await bob.events.drain(0)).toEqual([]);
  });

  it('resolves to INVALID_EVENT for other events, MALFORMED for bad arguments, NOT_CONNECTED once closed', async () => {
    const { biz } = await setup();
    expect(await biz.client.videoCallControl(REQUEST, 'alice')).toBe(ErrorCode.INVALID_EVENT);
    expect(await biz.client.videoCallControl(START, 'alice')).toBe(ErrorCode.INVALID_EVENT);
    expect(await biz.client.videoCallControl(FINISH, 'not a user id')).toBe(ErrorCode.MALFORMED);
    expect(await biz.client.videoCallControl(FINISH, 'alice', -1)).toBe(ErrorCode.MALFORMED);
    expect(await biz.client.videoCallControl(FINISH, 'alice', 0, 0, 0, 'x'.repeat(1025))).toBe(ErrorCode.MALFORMED);
    biz.client.close();
    expect(await biz.client.videoCallControl(FINISH, 'alice')).toBe(ErrorCode.NOT_CONNECTED);
  });

  it('numeric user ids are accepted as their decimal string', async () => {
    server = await tests.start();
    const biz = await TestBusiness.connect(server);
    const caller = await TestUser.connect(server, '1001');
    const callee = await TestUser.connect(server, '1002');
    opened.push(biz, caller, callee);
    caller.client.videoCallControl(REQUEST, 1002);
    await callee.events.next('REQUEST');
    expect(await biz.client.videoCallControl(FINISH, 1001, 8005)).toBe(0);
    expect(await callee.events.next('FINISH')).toMatchObject({ event: FINISH, userId: '1001', errorCode: 8005 });
  });
});

describe('getUserState', () => {
  it('tells offline, idle, calling, ringing and talking with the peer, callId and roomId', async () => {
    const { alice, bob, biz } = await setup();
    expect(await biz.client.getUserState('nobody')).toEqual({ userId: 'nobody', state: 'offline' });
    expect(await biz.client.getUserState('alice')).toEqual({ userId: 'alice', state: 'idle' });

    await ringing(alice, bob);
    const calling = await biz.client.getUserState('alice');
    expect(calling).toMatchObject({ userId: 'alice', state: 'calling', peer: 'bob', callId: expect.any(String) });
    expect(await biz.client.getUserState('bob')).toEqual({ userId: 'bob', state: 'ringing', peer: 'alice', callId: calling.callId });

    bob.client.videoCallControl(REPLY, 'alice', 0);
    const roomId = (await alice.events.next('START')).param;
    await bob.events.next('START');
    expect(await biz.client.getUserState('alice')).toEqual({ userId: 'alice', state: 'talking', peer: 'bob', callId: calling.callId, roomId });
    expect(await biz.client.getUserState('bob')).toEqual({ userId: 'bob', state: 'talking', peer: 'alice', callId: calling.callId, roomId });

    alice.client.videoCallControl(FINISH, 'bob');
    await bob.events.next('FINISH');
    expect(await biz.client.getUserState('bob')).toEqual({ userId: 'bob', state: 'idle' });
    bob.client.close(); // leaving on purpose ends the session at once
    let state = await biz.client.getUserState('bob');
    await waitUntil('bob to be offline', async () => (state = await biz.client.getUserState('bob')).state === 'offline', 1000);
    expect(state).toEqual({ userId: 'bob', state: 'offline' });
  });

  it('a user whose REQUEST the business is deciding on is calling; the callee is ringing', async () => {
    const { alice, biz } = await setup();
    biz.decide = () => new Promise<number>(() => {});
    alice.client.videoCallControl(REQUEST, 'bob');
    await biz.events.next('REQUEST');
    expect(await biz.client.getUserState('alice')).toMatchObject({ state: 'calling', peer: 'bob' });
    expect(await biz.client.getUserState('bob')).toMatchObject({ state: 'ringing', peer: 'alice' });
  });

  it('rejects a bad user id with MALFORMED and rejects when not connected', async () => {
    const { biz } = await setup();
    await expect(biz.client.getUserState('a b')).rejects.toMatchObject({ code: ErrorCode.MALFORMED });
    biz.client.close();
    await expect(biz.client.getUserState('alice')).rejects.toMatchObject({ code: ErrorCode.NOT_CONNECTED });
  });
});
