/**
 * The rules of docs/architecture.md, "Devices", against the pure call state machine: users on
 * two or three devices at once, each device with its own session and outbox. The world commits
 * every decision the way the memory backend does (support/call-world.ts).
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@callgate/protocol';
import { graceTimerKey, ringTimerKey, wakeTimerKey } from '../src/calls/draft.js';
import { presenceEntry } from '../src/state/backend.js';
import {
  CallWorld,
  FINISH,
  GRACE_MS,
  OFFLINE_WAIT_MS,
  REPLY,
  REQUEST,
  RING_MS,
  START,
  T0,
  ev,
  expectIdle,
  expectNoCall,
  expectNothingHappened,
  outcomes,
} from './support/call-world.js';

const PHONE = 'phone';
const LAPTOP = 'laptop';
const TABLET = 'tablet';
const DESK = 'desk';

/** A world where each user is connected on the devices named. */
function devices(online: Record<string, string[]>): CallWorld {
  const w = new CallWorld();
  for (const [userId, deviceIds] of Object.entries(online)) for (const device of deviceIds) w.connect(userId, { device });
  return w;
}

/** A (on its desk) calls B, connected on `calleeDevices`; what everyone got so far is taken. */
function ringingOn(...calleeDevices: string[]): CallWorld {
  const w = devices({ A: [DESK], B: calleeDevices });
  w.request('A', 'B', { device: DESK, flags: 3, param: 7, userStr: 'hi' });
  w.clear('A', 'B');
  return w;
}

/** A (desk) talks with B, which answered on `answeredOn` among `calleeDevices`. */
function talkingOn(answeredOn: string, ...calleeDevices: string[]): CallWorld {
  const w = ringingOn(...calleeDevices);
  w.reply('B', 'A', 0, { device: answeredOn });
  w.clear('A', 'B');
  return w;
}

const request = ev('call-1', REQUEST, 'A', 0, { flags: 3, param: 7, userStr: 'hi' });

describe('ringing: every present device of the callee rings', () => {
  it('two devices: both get the REQUEST, the caller one REPLY 0', () => {
    const w = devices({ A: [DESK], B: [PHONE, LAPTOP] });
    w.request('A', 'B', { device: DESK, flags: 3, param: 7, userStr: 'hi' });
    expect(w.take('B', PHONE)).toEqual([request]);
    expect(w.take('B', LAPTOP)).toEqual([request]);
    expect(w.take('A', DESK)).toEqual([ev('call-1', REPLY, 'B', 0, { flags: 3, param: 7 })]);
    expect(w.callOf('B')).toMatchObject({ phase: 'ringing', callerDevice: DESK });
    expect(w.callOf('B')?.calleeDevice).toBeUndefined();
  });

  it('three devices: the first REPLY 0 wins, START there, FINISH ANSWERED_ELSEWHERE at the others', () => {
    const w = ringingOn(PHONE, LAPTOP, TABLET);
    const d = w.reply('B', 'A', 0, { device: LAPTOP, userStr: 'yes' });
    expect(d.result).toEqual({ ok: true });
    const start = { flags: 3, param: 1001, userStr: 'yes' };
    expect(w.take('B', LAPTOP)).toEqual([ev('call-1', START, 'A', 0, start)]);
    for (const other of [PHONE, TABLET]) expect(w.take('B', other), other).toEqual([ev('call-1', FINISH, 'A', ErrorCode.ANSWERED_ELSEWHERE)]);
    expect(ErrorCode.ANSWERED_ELSEWHERE).toBe(200028);
    expect(w.take('A', DESK)).toEqual([ev('call-1', START, 'B', 0, start)]);
    expect(w.callOf('A')).toMatchObject({ phase: 'talking', roomId: 1001, callerDevice: DESK, calleeDevice: LAPTOP });
    expect(d.transitions.map((t) => t.type)).toEqual(['started']);
    expect(w.timers.has(ringTimerKey('call-1'))).toBe(false);
  });

  it('the caller hears one REPLY 0 and one START, however many devices ring', () => {
    const w = devices({ A: [DESK], B: [PHONE, LAPTOP, TABLET] });
    w.request('A', 'B', { device: DESK });
    w.reply('B', 'A', 0, { device: TABLET });
    expect(w.take('A', DESK).map((e) => [e.event, e.errorCode])).toEqual([
      [REPLY, 0],
      [START, 0],
    ]);
  });

  it('a later REPLY 0 from another device is NOTINCALL and changes nothing', () => {
    const w = talkingOn(PHONE, PHONE, LAPTOP);
    const late = w.reply('B', 'A', 0, { device: LAPTOP });
    expect(late.result).toEqual({ ok: false, code: ErrorCode.NOTINCALL });
    expectNothingHappened(late);
    expect(w.callOf('A')).toMatchObject({ phase: 'talking', calleeDevice: PHONE });
  });

  it('a refusal from any device refuses for all: the caller gets the REPLY, the other devices FINISH with its code', () => {
    const w = ringingOn(PHONE, LAPTOP, TABLET);
    const d = w.reply('B', 'A', ErrorCode.REJECT, { device: TABLET, userStr: 'busy now' });
    expect(w.take('A', DESK)).toEqual([ev('call-1', REPLY, 'B', ErrorCode.REJECT, { userStr: 'busy now' })]);
    for (const other of [PHONE, LAPTOP]) expect(w.take('B', other), other).toEqual([ev('call-1', FINISH, 'A', ErrorCode.REJECT, { userStr: 'busy now' })]);
    expect(w.take('B', TABLET)).toEqual([]);
    expect(outcomes(d)).toEqual(['refused']);
    expectNoCall(w, 'call-1');
    expectIdle(w, 'A', 'B');
  });

  it('a FINISH from one ringing device refuses for all: every device of the callee and the caller get FINISH', () => {
    const w = ringingOn(PHONE, LAPTOP);
    w.finish('B', 'A', 4242, { device: PHONE });
    expect(w.take('A', DESK)).toEqual([ev('call-1', FINISH, 'B', 4242)]);
    for (const device of [PHONE, LAPTOP]) expect(w.take('B', device), device).toEqual([ev('call-1', FINISH, 'A', 4242)]);
    expect(w.ended()).toMatchObject({ outcome: 'refused', endedBy: 'B' });
  });

  it('no answer: every device of the callee gets FINISH 100105', () => {
    const w = ringingOn(PHONE, LAPTOP, TABLET);
    w.fire(ringTimerKey('call-1'));
    expect(w.take('A', DESK)).toEqual([ev('call-1', REPLY, 'B', ErrorCode.TIMEOUT, { flags: 3, param: 7 })]);
    for (const device of [PHONE, LAPTOP, TABLET]) expect(w.take('B', device), device).toEqual([ev('call-1', FINISH, 'A', ErrorCode.TIMEOUT)]);
  });

  it('the caller cancels: every ringing device gets FINISH 100101', () => {
    const w = ringingOn(PHONE, LAPTOP);
    w.finish('A', 'B', 0, { device: DESK });
    for (const device of [PHONE, LAPTOP]) expect(w.take('B', device), device).toEqual([ev('call-1', FINISH, 'A', ErrorCode.CANCEL)]);
    expect(w.take('A', DESK)).toEqual([ev('call-1', FINISH, 'B', ErrorCode.CANCEL)]);
  });

  it('glare from one device of the callee starts the call there', () => {
    const w = ringingOn(PHONE, LAPTOP);
    w.request('B', 'A', { device: LAPTOP });
    expect(w.take('B', LAPTOP).map((e) => e.event)).toEqual([START]);
    expect(w.take('B', PHONE)).toEqual([ev('call-1', FINISH, 'A', ErrorCode.ANSWERED_ELSEWHERE)]);
    expect(w.callOf('A')).toMatchObject({ phase: 'talking', calleeDevice: LAPTOP });
  });

  it('a device that signs in while the call rings gets the REQUEST too, and may answer', () => {
    const w = ringingOn(PHONE);
    w.connect('B', { device: LAPTOP });
    expect(w.take('B', LAPTOP)).toEqual([request]);
    expect(w.take('A', DESK)).toEqual([]);
    w.reply('B', 'A', 0, { device: LAPTOP });
    expect(w.take('B', LAPTOP).map((e) => e.event)).toEqual([START]);
    expect(w.take('B', PHONE)).toEqual([ev('call-1', FINISH, 'A', ErrorCode.ANSWERED_ELSEWHERE)]);
  });

  it('a device whose socket dropped is not rung while away; coming back within its grace period it rings', () => {
    const w = devices({ A: [DESK], B: [PHONE, LAPTOP] });
    w.drop('B', { device: LAPTOP });
    w.request('A', 'B', { device: DESK, flags: 3, param: 7, userStr: 'hi' });
    expect(w.take('B', PHONE)).toEqual([request]);
    expect(w.callOf('A')?.phase).toBe('ringing');
    w.resume('B', LAPTOP);
    expect(w.take('B', LAPTOP)).toEqual([request]);
    w.reply('B', 'A', 0, { device: LAPTOP });
    expect(w.callOf('A')).toMatchObject({ phase: 'talking', calleeDevice: LAPTOP });
  });
});

describe('taking part: only the participating device', () => {
  it('REPLY or FINISH from a device of the callee that did not answer is NOTINCALL', () => {
    const w = talkingOn(PHONE, PHONE, LAPTOP);
    for (const d of [w.finish('B', 'A', 0, { device: LAPTOP }), w.reply('B', 'A', ErrorCode.CANCEL, { device: LAPTOP })]) {
      expect(d.result).toEqual({ ok: false, code: ErrorCode.NOTINCALL });
      expectNothingHappened(d);
    }
    expect(w.callOf('A')?.phase).toBe('talking');
  });

  it('REPLY or FINISH from a device of the caller that did not call is NOTINCALL, ringing or talking', () => {
    const w = devices({ A: [DESK, PHONE], B: [LAPTOP] });
    w.request('A', 'B', { device: DESK });
    for (const d of [w.finish('A', 'B', 0, { device: PHONE }), w.reply('A', 'B', ErrorCode.CANCEL, { device: PHONE })]) {
      expect(d.result).toEqual({ ok: false, code: ErrorCode.NOTINCALL });
      expectNothingHappened(d);
    }
    expect(w.callOf('A')?.phase).toBe('ringing');
    w.reply('B', 'A', 0, { device: LAPTOP });
    const d = w.finish('A', 'B', 0, { device: PHONE });
    expect(d.result).toEqual({ ok: false, code: ErrorCode.NOTINCALL });
    expectNothingHappened(d);
    expect(w.callOf('A')?.phase).toBe('talking');
  });

  it('call events go to the caller’s calling device only', () => {
    const w = devices({ A: [DESK, PHONE], B: [LAPTOP] });
    w.request('A', 'B', { device: PHONE });
    w.reply('B', 'A', 0, { device: LAPTOP });
    w.finish('B', 'A', 0, { device: LAPTOP });
    expect(w.take('A', PHONE).map((e) => e.event)).toEqual([REPLY, START, FINISH]);
    expect(w.take('A', DESK)).toEqual([]);
  });

  it('the other devices of both parties hear elsewhere: the call, its phase and the device taking part', () => {
    const w = devices({ A: [DESK, PHONE], B: [LAPTOP, TABLET] });
    w.request('A', 'B', { device: DESK });
    const outgoing = (phase: string) => ({ elsewhere: { callId: 'call-1', userId: 'B', direction: 'outgoing', phase, device: DESK } });
    expect(w.notices('A', PHONE)).toEqual([outgoing('dialing'), outgoing('ringing')]);
    expect(w.notices('B', LAPTOP)).toEqual([]);
    expect(w.notices('B', TABLET)).toEqual([]);
    w.reply('B', 'A', 0, { device: TABLET });
    const incoming = (phase: string) => ({ elsewhere: { callId: 'call-1', userId: 'A', direction: 'incoming', phase, device: TABLET } });
    expect(w.notices('A', PHONE)).toEqual([outgoing('talking')]);
    expect(w.notices('B', LAPTOP)).toEqual([incoming('talking')]);
    expect(w.notices('B', TABLET)).toEqual([]);
    expect(w.notices('A', DESK)).toEqual([]);
    w.finish('A', 'B', 0, { device: DESK });
    expect(w.notices('A', PHONE)).toEqual([outgoing('ended')]);
    expect(w.notices('B', LAPTOP)).toEqual([incoming('ended')]);
  });

  it('a device that signs in during a call learns of it as elsewhere', () => {
    const w = talkingOn(PHONE, PHONE);
    w.connect('B', { device: LAPTOP });
    expect(w.take('B', LAPTOP)).toEqual([]);
    expect(w.notices('B', LAPTOP)).toEqual([{ elsewhere: { callId: 'call-1', userId: 'A', direction: 'incoming', phase: 'talking', device: PHONE } }]);
  });
});

describe('move-here: the talking call moves to another device of the user', () => {
  it('old device FINISH MOVED, new device START with the same roomId, the peer a moved signal and no FINISH', () => {
    const w = talkingOn(PHONE, PHONE, LAPTOP);
    const room = w.callOf('A')!.roomId;
    const d = w.moveHere('B', LAPTOP);
    expect(d.result).toEqual({ ok: true });
    expect(w.take('B', PHONE)).toEqual([ev('call-1', FINISH, 'A', ErrorCode.MOVED)]);
    expect(ErrorCode.MOVED).toBe(200029);
    expect(w.take('B', LAPTOP)).toEqual([ev('call-1', START, 'A', 0, { flags: 3, param: room })]);
    expect(w.take('A', DESK)).toEqual([]);
    expect(d.signals).toEqual([{ to: 'A', device: DESK, message: { type: 'signal', roomId: room, from: 'B', data: { kind: 'moved' } } }]);
    expect(w.callOf('A')).toMatchObject({ phase: 'talking', roomId: room, calleeDevice: LAPTOP });
    expect(d.transitions).toEqual([]);
    expect(w.notices('B', PHONE)).toEqual([{ elsewhere: { callId: 'call-1', userId: 'A', direction: 'incoming', phase: 'talking', device: LAPTOP } }]);
  });

  it('after the move only the new device takes part', () => {
    const w = talkingOn(PHONE, PHONE, LAPTOP);
    w.moveHere('B', LAPTOP);
    w.clear('A', 'B');
    expect(w.finish('B', 'A', 0, { device: PHONE }).result).toEqual({ ok: false, code: ErrorCode.NOTINCALL });
    w.finish('B', 'A', 0, { device: LAPTOP });
    expect(w.take('A', DESK)).toEqual([ev('call-1', FINISH, 'B', 0)]);
    expect(w.take('B', LAPTOP)).toEqual([ev('call-1', FINISH, 'A', 0)]);
    expect(w.take('B', PHONE)).toEqual([]);
    expectIdle(w, 'A', 'B');
  });

  it('the caller moves too: its peer’s device gets the signal', () => {
    const w = devices({ A: [DESK, PHONE], B: [LAPTOP] });
    w.request('A', 'B', { device: DESK });
    w.reply('B', 'A', 0, { device: LAPTOP });
    w.clear('A', 'B');
    const d = w.moveHere('A', PHONE);
    expect(w.take('A', DESK)).toEqual([ev('call-1', FINISH, 'B', ErrorCode.MOVED)]);
    expect(w.take('A', PHONE).map((e) => [e.event, e.param])).toEqual([[START, 1001]]);
    expect(d.signals.map((s) => [s.to, s.device, s.message.data])).toEqual([['B', LAPTOP, { kind: 'moved' }]]);
    expect(w.callOf('B')).toMatchObject({ callerDevice: PHONE, calleeDevice: LAPTOP });
  });

  it('with no talking call (idle, or a call that only rings) it is NOTINCALL and changes nothing', () => {
    const w = devices({ A: [DESK], B: [PHONE, LAPTOP] });
    const idle = w.moveHere('B', LAPTOP);
    expect(idle.result).toMatchObject({ ok: false, code: ErrorCode.NOTINCALL });
    expectNothingHappened(idle);
    w.request('A', 'B', { device: DESK });
    const ringing = w.moveHere('B', LAPTOP);
    expect(ringing.result).toMatchObject({ ok: false, code: ErrorCode.NOTINCALL });
    expectNothingHappened(ringing);
  });

  it('to the device that already takes part it changes nothing', () => {
    const w = talkingOn(PHONE, PHONE, LAPTOP);
    const d = w.moveHere('B', PHONE);
    expect(d.result).toEqual({ ok: true });
    expectNothingHappened(d);
  });
});

describe('signing in', () => {
  it('over ctx.maxDevices a new device is refused with TOO_MANY_DEVICES and nothing changes', () => {
    const w = new CallWorld();
    w.maxDevices = 2;
    w.connect('B', { device: PHONE });
    w.connect('B', { device: LAPTOP });
    const before = w.user('B');
    const d = w.connect('B', { device: TABLET });
    expect(d.session).toEqual({ refused: ErrorCode.TOO_MANY_DEVICES });
    expect(ErrorCode.TOO_MANY_DEVICES).toBe(200030);
    expectNothingHappened(d);
    expect(w.user('B')).toEqual(before);
  });

  it('at the limit, a device it has may still sign in again', () => {
    const w = new CallWorld();
    w.maxDevices = 2;
    w.connect('B', { device: PHONE });
    w.connect('B', { device: LAPTOP });
    const d = w.connect('B', { device: PHONE });
    expect(d.session).toEqual({ sessionId: w.device('B', PHONE).sessionId, resumed: false });
    expect(w.deviceIds('B')).toEqual([LAPTOP, PHONE]);
  });

  it('with maxDevices 1 a new device replaces the old one: kicked with REPLACED, its call ends by rule 5', () => {
    const w = new CallWorld();
    w.maxDevices = 1;
    w.connect('A', { device: DESK });
    w.connect('B', { device: PHONE });
    w.talking('A', 'B', { device: DESK }, PHONE);
    const old = w.device('B', PHONE);
    const d = w.connect('B', { device: LAPTOP });
    expect(d.kicks).toEqual([{ userId: 'B', deviceId: PHONE, node: 'local', connectionId: old.connectionId, code: ErrorCode.REPLACED }]);
    expect(d.session).toEqual({ sessionId: w.device('B', LAPTOP).sessionId, resumed: false });
    expect(w.deviceIds('B')).toEqual([LAPTOP]);
    expect(w.take('A', DESK)).toEqual([ev('call-1', FINISH, 'B', ErrorCode.DISCONNECT)]);
    expect(outcomes(d)).toEqual(['disconnected']);
    expectIdle(w, 'A', 'B');
  });

  it('the same deviceId without its session is a fresh session of that device: the old socket is kicked, the others stay', () => {
    const w = talkingOn(LAPTOP, PHONE, LAPTOP);
    const old = w.device('B', PHONE);
    const d = w.connect('B', { device: PHONE });
    expect(d.kicks).toEqual([{ userId: 'B', deviceId: PHONE, node: 'local', connectionId: old.connectionId, code: ErrorCode.REPLACED }]);
    expect(d.session).toEqual({ sessionId: w.device('B', PHONE).sessionId, resumed: false });
    expect(w.device('B', PHONE).sessionId).not.toBe(old.sessionId);
    expect(w.deviceIds('B')).toEqual([LAPTOP, PHONE]);
    // It took no part in the call, which goes on; it learns of it as elsewhere.
    expect(outcomes(d)).toEqual([]);
    expect(w.callOf('A')).toMatchObject({ phase: 'talking', calleeDevice: LAPTOP });
    expect(w.take('A', DESK)).toEqual([]);
    expect(w.notices('B', PHONE)).toEqual([{ elsewhere: { callId: 'call-1', userId: 'A', direction: 'incoming', phase: 'talking', device: LAPTOP } }]);
  });

  it('the device taking part signing in afresh ends its call by rule 5', () => {
    const w = talkingOn(LAPTOP, PHONE, LAPTOP);
    const d = w.connect('B', { device: LAPTOP });
    expect(w.take('A', DESK)).toEqual([ev('call-1', FINISH, 'B', ErrorCode.DISCONNECT)]);
    expect(w.take('B', LAPTOP)).toEqual([]);
    expect(outcomes(d)).toEqual(['disconnected']);
    expectIdle(w, 'A', 'B');
  });

  it('a session is resumed by its own device alone', () => {
    const w = devices({ B: [PHONE, LAPTOP] });
    const laptop = w.device('B', LAPTOP);
    const d = w.connect('B', { device: PHONE, resume: laptop.sessionId });
    expect(d.session).toMatchObject({ resumed: false });
    expect(w.device('B', PHONE).sessionId).not.toBe(laptop.sessionId);
    expect(w.device('B', LAPTOP)).toEqual(laptop);
  });
});

describe('leaving and dropping', () => {
  it('a leaving device is not rung: the REQUEST goes to the present devices only', () => {
    const w = devices({ A: [DESK], B: [PHONE, LAPTOP] });
    w.leaving('B', LAPTOP);
    w.request('A', 'B', { device: DESK, flags: 3, param: 7, userStr: 'hi' });
    expect(w.take('B', PHONE)).toEqual([request]);
    expect(w.take('B', LAPTOP)).toEqual([]);
  });

  it('a user whose only device is leaving is offline: a REQUEST gets OFFLINE at once', () => {
    const w = devices({ A: [DESK], B: [PHONE] });
    const d = w.leaving('B', PHONE);
    expect(d.users.get('B')?.devices).toEqual([expect.objectContaining({ deviceId: PHONE, leaving: true, connected: true })]);
    expect(presenceEntry('B', w.user('B'))).toEqual({ userId: 'B', status: 'offline' });
    w.request('A', 'B', { device: DESK });
    expect(w.take('A', DESK)).toEqual([ev('call-1', REPLY, 'B', ErrorCode.OFFLINE)]);
    expect(w.take('B', PHONE)).toEqual([]);
  });

  it('presence: online while a device is present, busy in a call whatever its devices, offline otherwise', () => {
    const w = devices({ A: [DESK], B: [PHONE, LAPTOP] });
    w.leaving('B', PHONE);
    expect(presenceEntry('B', w.user('B')).status).toBe('idle');
    w.drop('B', { device: LAPTOP });
    expect(presenceEntry('B', w.user('B')).status).toBe('offline');
    w.resume('B', LAPTOP);
    w.talking('A', 'B', { device: DESK }, LAPTOP);
    w.drop('B', { device: LAPTOP });
    expect(presenceEntry('B', w.user('B')).status).toBe('busy');
  });

  it('a dropped device taking part in a call keeps it for the grace period and resumes it', () => {
    const w = talkingOn(LAPTOP, PHONE, LAPTOP);
    const d = w.drop('B', { device: LAPTOP });
    expect(d.deliveries).toEqual([]);
    expect(w.timers.get(graceTimerKey('B', LAPTOP))?.at).toBe(T0 + GRACE_MS);
    w.now += GRACE_MS - 1;
    w.resume('B', LAPTOP);
    expect(w.timers.has(graceTimerKey('B', LAPTOP))).toBe(false);
    expect(w.callOf('A')).toMatchObject({ phase: 'talking', calleeDevice: LAPTOP });
    expect(w.take('A', DESK)).toEqual([]);
  });

  it('the device taking part gone for good ends the call (rule 5), though another device of the user is here', () => {
    const w = talkingOn(LAPTOP, PHONE, LAPTOP);
    w.drop('B', { device: LAPTOP });
    const d = w.fire(graceTimerKey('B', LAPTOP));
    expect(w.take('A', DESK)).toEqual([ev('call-1', FINISH, 'B', ErrorCode.DISCONNECT)]);
    expect(w.ended()).toMatchObject({ outcome: 'disconnected', endedBy: 'B', endedIn: 'talking' });
    expect(outcomes(d)).toEqual(['disconnected']);
    expect(w.deviceIds('B')).toEqual([PHONE]);
    expect(w.notices('B', PHONE)).toEqual([{ elsewhere: { callId: 'call-1', userId: 'A', direction: 'incoming', phase: 'ended', device: LAPTOP } }]);
    expectIdle(w, 'A', 'B');
    expect(presenceEntry('B', w.user('B')).status).toBe('idle');
  });

  it('the caller’s calling device closing for good ends a ringing call: every device of the callee gets FINISH 100106', () => {
    const w = devices({ A: [DESK, PHONE], B: [LAPTOP, TABLET] });
    w.request('A', 'B', { device: DESK });
    w.clear('A', 'B');
    w.drop('A', { device: DESK, final: true });
    for (const device of [LAPTOP, TABLET]) expect(w.take('B', device), device).toEqual([ev('call-1', FINISH, 'A', ErrorCode.DISCONNECT)]);
    expect(w.deviceIds('A')).toEqual([PHONE]);
    expectIdle(w, 'A', 'B');
  });

  it('a device that takes no part dropping, even for good, does not end the call', () => {
    const w = talkingOn(LAPTOP, PHONE, LAPTOP);
    w.drop('B', { device: PHONE });
    const d = w.fire(graceTimerKey('B', PHONE));
    expect(d.transitions).toEqual([]);
    expect(d.deliveries).toEqual([]);
    expect(w.deviceIds('B')).toEqual([LAPTOP]);
    expect(w.callOf('A')).toMatchObject({ phase: 'talking', calleeDevice: LAPTOP });
  });

  it('a ringing device gone for good leaves the others ringing; the last one gone ends the call by rule 5', () => {
    const w = ringingOn(PHONE, LAPTOP);
    w.drop('B', { device: PHONE, final: true });
    expect(w.callOf('A')?.phase).toBe('ringing');
    expect(w.take('A', DESK)).toEqual([]);
    w.drop('B', { device: LAPTOP, final: true });
    expect(w.take('A', DESK)).toEqual([ev('call-1', REPLY, 'B', ErrorCode.DISCONNECT, { flags: 3, param: 7 })]);
    expect(w.users.has('B')).toBe(false);
  });
});

describe('no device to ring: waking', () => {
  it('push=true and a callee with no device: the caller is told it is being woken, the push hook asked, the REQUEST waits', () => {
    const w = devices({ A: [DESK, PHONE] });
    const d = w.request('A', 'B', { device: DESK, push: true, flags: 1, param: 2, userStr: 'wake up' });
    expect(d.result).toEqual({ ok: true });
    const until = T0 + OFFLINE_WAIT_MS;
    expect(w.notices('A', DESK)).toEqual([{ waking: { callId: 'call-1', userId: 'B', pushed: true, until } }]);
    expect(w.take('A', DESK)).toEqual([]);
    expect(d.wakes).toEqual([{ type: 'push', call: expect.objectContaining({ callId: 'call-1', callee: 'B', phase: 'dialing' }), at: T0 }]);
    expect(w.callOf('A')).toMatchObject({ phase: 'dialing', waking: { since: T0, until, pushed: true } });
    expect(w.user('B')).toEqual({ userId: 'B', devices: [], callId: 'call-1' });
    expect(w.timers.get(wakeTimerKey('call-1'))).toEqual({ at: until, input: { kind: 'wake-expired', callId: 'call-1' } });
    expect(presenceEntry('B', w.user('B')).status).toBe('offline');
  });

  it('a device of the woken callee connecting rings it: REQUEST there, REPLY 0 to the caller, ringing with woke', () => {
    const w = devices({ A: [DESK] });
    w.request('A', 'B', { device: DESK, push: true, flags: 1, param: 2, userStr: 'wake up' });
    w.clear('A');
    w.now += 4200;
    const d = w.connect('B', { device: PHONE });
    expect(w.take('B', PHONE)).toEqual([ev('call-1', REQUEST, 'A', 0, { flags: 1, param: 2, userStr: 'wake up' })]);
    expect(w.take('A', DESK)).toEqual([ev('call-1', REPLY, 'B', 0, { flags: 1, param: 2 })]);
    expect(d.transitions).toEqual([expect.objectContaining({ type: 'ringing', woke: { pushed: true, afterMs: 4200 } })]);
    expect(w.callOf('A')).toMatchObject({ phase: 'ringing', ringDeadline: T0 + 4200 + RING_MS });
    expect(w.callOf('A')?.waking).toBeUndefined();
    expect(w.timers.has(wakeTimerKey('call-1'))).toBe(false);
    expect(w.timers.has(ringTimerKey('call-1'))).toBe(true);
    w.reply('B', 'A', 0, { device: PHONE });
    expect(w.take('A', DESK).map((e) => e.event)).toEqual([START]);
  });

  it('wake-expired at `until` with no device come: REPLY OFFLINE (a wake-expired before it is ignored)', () => {
    const w = devices({ A: [DESK] });
    w.request('A', 'B', { device: DESK, push: true, flags: 1, param: 2 });
    w.now = T0 + OFFLINE_WAIT_MS - 1;
    expectNothingHappened(w.apply({ kind: 'wake-expired', callId: 'call-1' }));
    const d = w.fire(wakeTimerKey('call-1'));
    expect(w.take('A', DESK)).toEqual([ev('call-1', REPLY, 'B', ErrorCode.OFFLINE, { flags: 1, param: 2 })]);
    expect(w.ended()).toMatchObject({ outcome: 'offline', endedBy: 'server', endedIn: 'dialing' });
    expect(d.wakes.map((wake) => wake.type)).toEqual(['cancelled']);
    expect(w.users.has('B')).toBe(false);
    expectNoCall(w, 'call-1');
    expectIdle(w, 'A');
  });

  it('the caller’s FINISH during the wait cancels it: the push hook hears cancelled', () => {
    const w = devices({ A: [DESK] });
    w.request('A', 'B', { device: DESK, push: true });
    w.now += 1000;
    const d = w.finish('A', 'B', 0, { device: DESK });
    expect(w.take('A', DESK)).toEqual([ev('call-1', FINISH, 'B', ErrorCode.CANCEL)]);
    expect(d.wakes).toEqual([{ type: 'cancelled', call: expect.objectContaining({ callId: 'call-1' }), at: T0 + 1000 }]);
    expect(w.ended()).toMatchObject({ outcome: 'cancelled', endedIn: 'dialing' });
    expect(w.users.has('B')).toBe(false);
    expect(w.timers.size).toBe(0);
  });

  it('push=false and a callee with no device: OFFLINE at once, nobody woken', () => {
    const w = devices({ A: [DESK] });
    const d = w.request('A', 'B', { device: DESK, push: false });
    expect(w.take('A', DESK)).toEqual([ev('call-1', REPLY, 'B', ErrorCode.OFFLINE)]);
    expect(d.wakes).toEqual([]);
    expect(w.notices('A', DESK)).toEqual([]);
    expect(w.users.has('B')).toBe(false);
  });

  it('every device in grace: the REQUEST waits until the last grace deadline, then REPLY OFFLINE', () => {
    const w = devices({ A: [DESK], B: [PHONE, LAPTOP] });
    w.drop('B', { device: PHONE });
    w.now += 5000;
    w.drop('B', { device: LAPTOP });
    const d = w.request('A', 'B', { device: DESK });
    expect(d.wakes).toEqual([]);
    expect(w.notices('A', DESK)).toEqual([{ waking: { callId: 'call-1', userId: 'B', pushed: false, until: T0 + 5000 + GRACE_MS } }]);
    expect(w.take('B', PHONE)).toEqual([]);
    w.fire(graceTimerKey('B', PHONE));
    expect(w.callOf('A')?.phase).toBe('dialing');
    const ends = [graceTimerKey('B', LAPTOP), wakeTimerKey('call-1')].flatMap((key) => (w.timers.has(key) ? outcomes(w.fire(key)) : []));
    expect(ends).toEqual(['offline']);
    expect(w.take('A', DESK)).toEqual([ev('call-1', REPLY, 'B', ErrorCode.OFFLINE)]);
    expect(w.users.has('B')).toBe(false);
  });

  it('with a push hook the wait lasts past the grace period: the devices gone for good do not end it', () => {
    const w = devices({ A: [DESK], B: [PHONE] });
    w.drop('B', { device: PHONE });
    w.request('A', 'B', { device: DESK, push: true });
    expect(w.callOf('A')?.waking).toEqual({ since: T0, until: T0 + OFFLINE_WAIT_MS, pushed: true });
    const graceOver = w.fire(graceTimerKey('B', PHONE));
    expect(graceOver.transitions).toEqual([]);
    expect(w.take('A', DESK)).toEqual([]);
    expect(w.user('B')).toEqual({ userId: 'B', devices: [], callId: 'call-1' });
    w.connect('B', { device: LAPTOP });
    expect(w.take('B', LAPTOP).map((e) => e.event)).toEqual([REQUEST]);
    expect(w.take('A', DESK).map((e) => [e.event, e.errorCode])).toEqual([[REPLY, 0]]);
  });

  it('the callee’s device signing in afresh (same deviceId, no session) while the REQUEST waits rings it', () => {
    const w = devices({ A: [DESK], B: [PHONE] });
    w.drop('B', { device: PHONE });
    w.request('A', 'B', { device: DESK });
    const d = w.connect('B', { device: PHONE });
    expect(outcomes(d)).toEqual([]);
    expect(w.take('B', PHONE).map((e) => e.event)).toEqual([REQUEST]);
    expect(w.take('A', DESK).map((e) => [e.event, e.errorCode])).toEqual([[REPLY, 0]]);
    expect(w.callOf('A')?.phase).toBe('ringing');
  });

  it('a REQUEST to a callee held for another waiting call is BUSY', () => {
    const w = devices({ A: [DESK], C: [PHONE] });
    w.request('A', 'B', { device: DESK, push: true });
    w.request('C', 'B', { device: PHONE, push: true });
    expect(w.take('C', PHONE)).toEqual([ev('call-2', REPLY, 'B', ErrorCode.BUSY)]);
  });
});
