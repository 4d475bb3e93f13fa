/**
 * The call rules of docs/architecture.md, rule by rule, against the pure call state machine. Each test drives a small
 * in-memory world (users on one device each, calls, timers, inboxes) through `decide`, committing every decision
 * the way the memory backend does, with the clock and ids injected by hand. Several devices per user:
 * device-rules.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@callgate/protocol';
import { REMEMBERED_CONTROLS } from '../src/calls/machine.js';
import { graceTimerKey, ringTimerKey, wakeTimerKey } from '../src/calls/draft.js';
import { DEFAULT_DEVICE, type CallOutcome } from '../src/calls/types.js';
import {
  CallWorld,
  FINISH,
  GRACE_MS,
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
  world,
} from './support/call-world.js';

// ---------------------------------------------------------------------------------------------

describe('rule 1: REQUEST rings', () => {
  it('gives the callee REQUEST with flags, param and userStr as sent, and the caller REPLY 0', () => {
    const w = world('A', 'B');
    const d = w.request('A', 'B', { flags: 0x103, param: 0xfffffffe, userStr: 'hello, ünïcode' });
    expect(d.result).toEqual({ ok: true });
    expect(w.take('B')).toEqual([ev('call-1', REQUEST, 'A', 0, { flags: 0x103, param: 0xfffffffe, userStr: 'hello, ünïcode' })]);
    expect(w.take('A')).toEqual([ev('call-1', REPLY, 'B', 0, { flags: 0x103, param: 0xfffffffe })]);
  });

  it('stores a ringing call that both parties point at, and sets the ring timer', () => {
    const w = world('A', 'B');
    w.now = T0 + 500;
    w.request('A', 'B', { flags: 3, param: 7, userStr: 'x' });
    expect(w.calls.get('call-1')).toEqual({
      callId: 'call-1',
      caller: 'A',
      callee: 'B',
      phase: 'ringing',
      flags: 3,
      param: 7,
      userStr: 'x',
      roomId: 0,
      requestedAt: T0 + 500,
      ringDeadline: T0 + 500 + RING_MS,
      answeredAt: 0,
      startedAt: 0,
      callerDevice: DEFAULT_DEVICE,
    });
    expect(w.user('A').callId).toBe('call-1');
    expect(w.user('B').callId).toBe('call-1');
    expect(w.timers.get(ringTimerKey('call-1'))).toEqual({
      at: T0 + 500 + RING_MS,
      input: { kind: 'ring-expired', callId: 'call-1' },
    });
  });

  it('reports the transitions requested then ringing', () => {
    const w = world('A', 'B');
    const d = w.request('A', 'B');
    expect(d.transitions.map((t) => t.type)).toEqual(['requested', 'ringing']);
    expect(d.transitions[1]).toMatchObject({ type: 'ringing', at: T0, call: { callId: 'call-1', phase: 'ringing' } });
    expect(d.authorize).toEqual([]);
  });

  it('does not ring a callee whose connection dropped: the REQUEST waits (waking) until its grace period ends', () => {
    const w = world('A', 'B');
    w.drop('B');
    const deadline = w.device('B').graceDeadline;
    w.now += 1000;
    const d = w.request('A', 'B');
    expect(d.result).toEqual({ ok: true });
    expect(w.callOf('A')).toMatchObject({ phase: 'dialing', waking: { since: T0 + 1000, until: deadline, pushed: false } });
    expect(w.take('A')).toEqual([]);
    expect(w.notices('A')).toEqual([{ waking: { callId: 'call-1', userId: 'B', pushed: false, until: deadline } }]);
    expect(w.timers.get(wakeTimerKey('call-1'))).toEqual({ at: deadline, input: { kind: 'wake-expired', callId: 'call-1' } });
    expect(d.transitions.map((t) => t.type)).toEqual(['requested']);
    expect(d.wakes).toEqual([]);
  });

  it('rings a waiting callee as soon as its device comes back: REQUEST to it, REPLY 0 to the caller', () => {
    const w = world('A', 'B');
    w.drop('B');
    w.request('A', 'B', { flags: 2, param: 4, userStr: 'late' });
    w.now += 3000;
    const d = w.resume('B');
    expect(w.take('B')).toEqual([ev('call-1', REQUEST, 'A', 0, { flags: 2, param: 4, userStr: 'late' })]);
    expect(w.take('A')).toEqual([ev('call-1', REPLY, 'B', 0, { flags: 2, param: 4 })]);
    expect(w.callOf('A')).toMatchObject({ phase: 'ringing', ringDeadline: T0 + 3000 + RING_MS });
    expect(w.callOf('A')?.waking).toBeUndefined();
    expect(w.timers.has(wakeTimerKey('call-1'))).toBe(false);
    expect(d.transitions).toEqual([expect.objectContaining({ type: 'ringing', woke: { pushed: false, afterMs: 3000 } })]);
  });

  it('answers a waiting REQUEST with 100102 OFFLINE when the callee does not come back within its grace period', () => {
    for (const order of [['grace', 'wake'], ['wake', 'grace']] as const) {
      const w = world('A', 'B');
      w.drop('B');
      w.request('A', 'B', { flags: 1, param: 6 });
      const keys = { grace: graceTimerKey('B', DEFAULT_DEVICE), wake: wakeTimerKey('call-1') };
      expect(w.timers.get(keys.grace)?.at).toBe(w.timers.get(keys.wake)?.at);
      // Both end at the same moment: in either order the caller hears OFFLINE, once.
      const ends = order.flatMap((timer) => (w.timers.has(keys[timer]) ? outcomes(w.fire(keys[timer])) : []));
      expect(ends, order.join()).toEqual(['offline']);
      expect(w.take('A'), order.join()).toEqual([ev('call-1', REPLY, 'B', ErrorCode.OFFLINE, { flags: 1, param: 6 })]);
      expectNoCall(w, 'call-1');
      expect(w.timers.size).toBe(0);
      expectIdle(w, 'A');
      expect(w.users.has('B')).toBe(false);
    }
  });
});

describe('rule 1: REQUEST refused at once', () => {
  it('refuses a caller who is calling with 440 INCHAT, telling nobody else', () => {
    const w = world('A', 'B', 'C');
    w.ringing('A', 'B');
    const d = w.request('A', 'C', { flags: 2, param: 9, userStr: 'again' });
    expect(d.result).toEqual({ ok: true });
    expect(w.take('A')).toEqual([ev('call-2', REPLY, 'C', ErrorCode.INCHAT, { flags: 2, param: 9 })]);
    expect(w.take('B')).toEqual([]);
    expect(w.take('C')).toEqual([]);
    expect(w.user('C').callId).toBeNull();
    expect(w.callOf('A')).toMatchObject({ callId: 'call-1', phase: 'ringing' });
    expect(outcomes(d)).toEqual(['caller-busy']);
  });

  it('refuses a caller who is being called with 440 INCHAT', () => {
    const w = world('A', 'B', 'C');
    w.ringing('A', 'B');
    w.request('B', 'C');
    expect(w.take('B')).toEqual([ev('call-2', REPLY, 'C', ErrorCode.INCHAT)]);
    expect(w.take('C')).toEqual([]);
    expect(w.take('A')).toEqual([]);
  });

  it('refuses a caller who is talking with 440 INCHAT', () => {
    const w = world('A', 'B', 'C');
    w.talking('A', 'B');
    w.request('B', 'C');
    expect(w.take('B')).toEqual([ev('call-2', REPLY, 'C', ErrorCode.INCHAT)]);
    expect(w.take('C')).toEqual([]);
    expect(w.callOf('B')?.phase).toBe('talking');
  });

  it('refuses a call to a user who is not connected with 100102 OFFLINE', () => {
    const w = world('A');
    const d = w.request('A', 'ghost', { flags: 1, param: 5, userStr: 'hi' });
    expect(w.take('A')).toEqual([ev('call-1', REPLY, 'ghost', ErrorCode.OFFLINE, { flags: 1, param: 5 })]);
    expect(w.calls.size).toBe(0);
    expect(w.user('A').callId).toBeNull();
    expect(w.timers.size).toBe(0);
    expect(outcomes(d)).toEqual(['offline']);
  });

  it('refuses a call to a user who closed the connection for good with 100102 OFFLINE', () => {
    const w = world('A', 'B');
    w.drop('B', { final: true });
    w.request('A', 'B');
    expect(w.take('A')).toEqual([ev('call-1', REPLY, 'B', ErrorCode.OFFLINE)]);
  });

  it('refuses a call to a callee who is calling, ringing or talking with 100103 BUSY', () => {
    const w = world('A', 'B', 'C', 'D', 'E');
    w.ringing('A', 'B'); // A calling, B ringing
    for (const [busy, callId] of [
      ['A', 'call-2'],
      ['B', 'call-3'],
    ] as const) {
      const d = w.request('C', busy);
      expect(w.take('C')).toEqual([ev(callId, REPLY, busy, ErrorCode.BUSY)]);
      expect(w.take(busy)).toEqual([]);
      expect(outcomes(d)).toEqual(['busy']);
    }
    w.talking('D', 'E'); // call-4
    w.request('C', 'E');
    expect(w.take('C')).toEqual([ev('call-5', REPLY, 'E', ErrorCode.BUSY)]);
    expect(w.take('E')).toEqual([]);
    expect(w.take('D')).toEqual([]);
    expectIdle(w, 'C');
  });

  it('refuses a call to oneself with SELF_CALL (200005)', () => {
    const w = world('A');
    const d = w.request('A', 'A');
    expect(w.take('A')).toEqual([ev('call-1', REPLY, 'A', ErrorCode.SELF_CALL)]);
    expect(ErrorCode.SELF_CALL).toBe(200005);
    expect(w.calls.size).toBe(0);
    expect(w.user('A').callId).toBeNull();
    expect(outcomes(d)).toEqual(['invalid']);
  });

  it('reports a refusal as ended from "requested", by the server, and changes no state', () => {
    const w = world('A');
    const d = w.request('A', 'ghost', { flags: 1, param: 2, userStr: 'u' });
    expect(d.transitions).toEqual([
      {
        type: 'ended',
        call: expect.objectContaining({ callId: 'call-1', caller: 'A', callee: 'ghost', flags: 1, param: 2, userStr: 'u' }),
        at: T0,
        outcome: 'offline',
        endedBy: 'server',
        endedIn: 'requested',
        step: { event: REPLY, from: 'ghost', to: 'A', errorCode: ErrorCode.OFFLINE, flags: 1, param: 2, userStr: '' },
      },
    ]);
    expect(d.users.size).toBe(0);
    expect(d.calls.size).toBe(0);
    expect(d.timers).toEqual([]);
  });
});

describe('rule 2: REPLY', () => {
  it('REPLY 0 starts the call: both get START with param = the new roomId and the flags of the call', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B', { flags: 0x83, param: 77, userStr: 'req' });
    w.now = T0 + 4000;
    const d = w.reply('B', 'A', 0, { flags: 0x10, param: 5, userStr: 'accepted' });
    expect(d.result).toEqual({ ok: true });
    expect(w.take('A')).toEqual([ev('call-1', START, 'B', 0, { flags: 0x83, param: 1001, userStr: 'accepted' })]);
    expect(w.take('B')).toEqual([ev('call-1', START, 'A', 0, { flags: 0x83, param: 1001, userStr: 'accepted' })]);
    expect(w.calls.get('call-1')).toMatchObject({ phase: 'talking', roomId: 1001, answeredAt: T0 + 4000 });
    expect(w.timers.has(ringTimerKey('call-1'))).toBe(false);
    expect(d.transitions).toEqual([
      {
        type: 'started',
        call: expect.objectContaining({ callId: 'call-1', phase: 'talking', roomId: 1001 }),
        at: T0 + 4000,
        step: { event: START, from: 'A', to: 'B', errorCode: 0, flags: 0x83, param: 1001, userStr: 'accepted' },
      },
    ]);
  });

  it('gives each started call the roomId that ctx.newRoomId allocates', () => {
    const w = world('A', 'B', 'C', 'D');
    const first = w.talking('A', 'B');
    const second = w.talking('C', 'D');
    expect([first.roomId, second.roomId]).toEqual([1001, 1002]);
  });

  it('REPLY 100104 refuses: the caller gets REPLY 100104 with the userStr, the call is over for both', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B', { flags: 3 });
    w.now = T0 + 2000;
    const d = w.reply('B', 'A', ErrorCode.REJECT, { userStr: 'later please', param: 4 });
    expect(d.result).toEqual({ ok: true });
    expect(w.take('A')).toEqual([ev('call-1', REPLY, 'B', ErrorCode.REJECT, { param: 4, userStr: 'later please' })]);
    expect(w.take('B')).toEqual([]);
    expectNoCall(w, 'call-1');
    expectIdle(w, 'A', 'B');
    expect(w.ended()).toMatchObject({
      outcome: 'refused',
      endedBy: 'B',
      endedIn: 'ringing',
      at: T0 + 2000,
      step: { event: REPLY, from: 'B', to: 'A', errorCode: ErrorCode.REJECT, flags: 0, param: 4, userStr: 'later please' },
    });
  });

  it('passes any other non-zero REPLY code on untouched (7777)', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B');
    w.reply('B', 'A', 7777, { userStr: 'in a meeting' });
    expect(w.take('A')).toEqual([ev('call-1', REPLY, 'B', 7777, { userStr: 'in a meeting' })]);
    expect(w.take('B')).toEqual([]);
    expectIdle(w, 'A', 'B');
    expect(w.ended()).toMatchObject({ outcome: 'refused', step: { errorCode: 7777 }});
  });

  it('lets both parties call again at once after a refusal', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B');
    w.reply('B', 'A', ErrorCode.REJECT);
    w.take('A');
    w.request('B', 'A');
    expect(w.take('A')).toEqual([ev('call-2', REQUEST, 'B', 0)]);
    expect(w.take('B')).toEqual([ev('call-2', REPLY, 'A', 0)]);
  });
});

describe('rule 3: FINISH and cancel', () => {
  it('a caller FINISH before the answer cancels: both get FINISH 100101', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B');
    const d = w.finish('A', 'B', 0);
    expect(d.result).toEqual({ ok: true });
    expect(w.take('A')).toEqual([ev('call-1', FINISH, 'B', ErrorCode.CANCEL)]);
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', ErrorCode.CANCEL)]);
    expectNoCall(w, 'call-1');
    expectIdle(w, 'A', 'B');
    expect(w.ended()).toMatchObject({ outcome: 'cancelled', step: { errorCode: ErrorCode.CANCEL }, endedBy: 'A', endedIn: 'ringing' });
  });

  it('a caller FINISH with its own code before the answer still cancels with 100101', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B');
    w.finish('A', 'B', 4321);
    expect(w.take('A')).toEqual([ev('call-1', FINISH, 'B', ErrorCode.CANCEL)]);
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', ErrorCode.CANCEL)]);
  });

  it('a caller REPLY 100101 before the answer cancels like the seed demos do', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B');
    const d = w.reply('A', 'B', ErrorCode.CANCEL);
    expect(d.result).toEqual({ ok: true });
    expect(w.take('A')).toEqual([ev('call-1', FINISH, 'B', ErrorCode.CANCEL)]);
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', ErrorCode.CANCEL)]);
    expectIdle(w, 'A', 'B');
    expect(w.ended()).toMatchObject({ outcome: 'cancelled', endedBy: 'A', endedIn: 'ringing' });
  });

  it('a cancel carries the caller’s param and userStr to the callee and into the record (param and userStr travel untouched)', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B');
    w.finish('A', 'B', 0, { param: 12, userStr: 'changed my mind' });
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', ErrorCode.CANCEL, { param: 12, userStr: 'changed my mind' })]);
    expect(w.ended().step).toMatchObject({ flags: 0, param: 12, userStr: 'changed my mind' });
  });

  it('a callee FINISH while ringing ends the call: both get FINISH with its code and payload', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B');
    const d = w.finish('B', 'A', 4242, { flags: 1, param: 2, userStr: 'nope' });
    expect(d.result).toEqual({ ok: true });
    expect(w.take('A')).toEqual([ev('call-1', FINISH, 'B', 4242, { flags: 1, param: 2, userStr: 'nope' })]);
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', 4242, { flags: 1, param: 2, userStr: 'nope' })]);
    expectIdle(w, 'A', 'B');
    expect(w.ended()).toMatchObject({ outcome: 'refused', step: { errorCode: 4242 }, endedBy: 'B', endedIn: 'ringing' });
  });

  it('a callee FINISH 0 while ringing gives both FINISH 0', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B');
    w.finish('B', 'A', 0);
    expect(w.take('A')).toEqual([ev('call-1', FINISH, 'B', 0)]);
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', 0)]);
  });

  it('a caller FINISH in a started call: both get FINISH with the sender’s code', () => {
    const w = world('A', 'B');
    w.talking('A', 'B');
    w.now = T0 + 90_000;
    const d = w.finish('A', 'B', 0, { userStr: 'bye' });
    expect(d.result).toEqual({ ok: true });
    expect(w.take('A')).toEqual([ev('call-1', FINISH, 'B', 0, { userStr: 'bye' })]);
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', 0, { userStr: 'bye' })]);
    expectNoCall(w, 'call-1');
    expectIdle(w, 'A', 'B');
    expect(w.ended()).toMatchObject({ outcome: 'completed', step: { errorCode: 0 }, endedBy: 'A', endedIn: 'talking', at: T0 + 90_000 });
  });

  it('a callee FINISH in a started call: both get FINISH with the sender’s code', () => {
    const w = world('A', 'B');
    w.talking('A', 'B');
    w.finish('B', 'A', 1234, { flags: 8, param: 9, userStr: 'done' });
    expect(w.take('A')).toEqual([ev('call-1', FINISH, 'B', 1234, { flags: 8, param: 9, userStr: 'done' })]);
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', 1234, { flags: 8, param: 9, userStr: 'done' })]);
    expect(w.ended()).toMatchObject({ outcome: 'completed', step: { errorCode: 1234 }, endedBy: 'B' });
  });

  it('a REPLY 100101 in a started call does not end it (NOTINCALL)', () => {
    const w = world('A', 'B');
    w.talking('A', 'B');
    const d = w.reply('A', 'B', ErrorCode.CANCEL);
    expect(d.result).toEqual({ ok: false, code: ErrorCode.NOTINCALL });
    expectNothingHappened(d);
    expect(w.callOf('A')?.phase).toBe('talking');
  });

  it('lets both call again at once after a hang-up', () => {
    const w = world('A', 'B');
    w.talking('A', 'B');
    w.finish('B', 'A');
    w.take('A');
    w.take('B');
    w.request('B', 'A');
    expect(w.take('A')).toEqual([ev('call-2', REQUEST, 'B', 0)]);
  });
});

describe('rule 4: no answer in time', () => {
  it('gives the caller REPLY 100105 and the callee FINISH 100105 when the ring timer fires', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B', { flags: 3, param: 6, userStr: 's' });
    const d = w.fire(ringTimerKey('call-1'));
    expect(w.now).toBe(T0 + RING_MS);
    expect(w.take('A')).toEqual([ev('call-1', REPLY, 'B', ErrorCode.TIMEOUT, { flags: 3, param: 6 })]);
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', ErrorCode.TIMEOUT)]);
    expectNoCall(w, 'call-1');
    expectIdle(w, 'A', 'B');
    expect(outcomes(d)).toEqual(['timeout']);
    expect(w.ended()).toMatchObject({ step: { errorCode: ErrorCode.TIMEOUT }, endedBy: 'server', endedIn: 'ringing', at: T0 + RING_MS });
  });
});

describe('rule 6: NOTINCALL', () => {
  it('answers REPLY from a user in no call with NOTINCALL and tells nobody', () => {
    const w = world('A', 'B');
    const d = w.reply('A', 'B', 0);
    expect(d.result).toEqual({ ok: false, code: ErrorCode.NOTINCALL });
    expectNothingHappened(d);
    expect(w.take('B')).toEqual([]);
  });

  it('answers FINISH from a user in no call with NOTINCALL and tells nobody', () => {
    const w = world('A', 'B');
    const d = w.finish('A', 'B');
    expect(d.result).toEqual({ ok: false, code: ErrorCode.NOTINCALL });
    expectNothingHappened(d);
  });

  it('answers REPLY or FINISH about someone else’s call with NOTINCALL, leaving that call alone', () => {
    const w = world('A', 'B', 'C');
    w.ringing('A', 'B');
    for (const d of [w.reply('C', 'A', 0), w.reply('C', 'B', ErrorCode.REJECT), w.finish('C', 'A'), w.finish('C', 'B')]) {
      expect(d.result).toEqual({ ok: false, code: ErrorCode.NOTINCALL });
      expectNothingHappened(d);
    }
    expect(w.callOf('A')?.phase).toBe('ringing');
    for (const id of ['A', 'B', 'C']) expect(w.take(id)).toEqual([]);
  });

  it('answers REPLY or FINISH naming the wrong peer with NOTINCALL, leaving the sender’s call alone', () => {
    const w = world('A', 'B', 'C');
    w.ringing('A', 'B');
    for (const d of [w.reply('B', 'C', 0), w.finish('B', 'C'), w.finish('A', 'C'), w.reply('A', 'C', ErrorCode.CANCEL)]) {
      expect(d.result).toEqual({ ok: false, code: ErrorCode.NOTINCALL });
      expectNothingHappened(d);
    }
    expect(w.callOf('B')?.phase).toBe('ringing');
    for (const id of ['A', 'B', 'C']) expect(w.take(id)).toEqual([]);
  });

  it('answers a second REPLY 0 by the callee once the call has started with NOTINCALL', () => {
    const w = world('A', 'B');
    w.talking('A', 'B');
    const d = w.reply('B', 'A', 0);
    expect(d.result).toEqual({ ok: false, code: ErrorCode.NOTINCALL });
    expectNothingHappened(d);
  });

  it('refuses START from a client with INVALID_EVENT', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B');
    const d = w.control('B', START, 'A');
    expect(d.result).toEqual({ ok: false, code: ErrorCode.INVALID_EVENT });
    expectNothingHappened(d);
  });
});

describe('rule 6: glare', () => {
  it('a REQUEST back from the callee while the call rings starts it: both get START', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B', { flags: 3, param: 1 });
    const d = w.request('B', 'A', { flags: 1, param: 99, userStr: 'me too' });
    expect(d.result).toEqual({ ok: true });
    expect(w.take('A')).toEqual([ev('call-1', START, 'B', 0, { flags: 3, param: 1001, userStr: 'me too' })]);
    expect(w.take('B')).toEqual([ev('call-1', START, 'A', 0, { flags: 3, param: 1001, userStr: 'me too' })]);
    expect(w.calls.size).toBe(1);
    expect(w.calls.get('call-1')).toMatchObject({ phase: 'talking', roomId: 1001, caller: 'A', callee: 'B' });
    expect(d.transitions.map((t) => t.type)).toEqual(['started']);
    expect(w.timers.has(ringTimerKey('call-1'))).toBe(false);
  });

  it('a REQUEST back from the caller to its own callee is not glare but INCHAT', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B');
    w.request('A', 'B');
    expect(w.take('A')).toEqual([ev('call-2', REPLY, 'B', ErrorCode.INCHAT)]);
    expect(w.take('B')).toEqual([]);
    expect(w.callOf('A')?.phase).toBe('ringing');
  });
});

describe('rule 5: a dropped party that does not come back', () => {
  it('keeps the call through the grace period and tells nobody at the drop', () => {
    const w = world('A', 'B');
    w.talking('A', 'B');
    w.now = T0 + 100;
    const d = w.drop('A');
    expect(d.deliveries).toEqual([]);
    expect(w.device('A')).toMatchObject({ connected: false, graceDeadline: T0 + 100 + GRACE_MS, droppedAt: T0 + 100 });
    expect(w.user('A').callId).toBe('call-1');
    expect(w.timers.get(graceTimerKey('A', DEFAULT_DEVICE))).toEqual({
      at: T0 + 100 + GRACE_MS,
      input: { kind: 'grace-expired', userId: 'A', sessionId: w.device('A').sessionId },
    });
    expect(w.callOf('B')?.phase).toBe('talking');
  });

  it('ringing caller gone: the callee gets FINISH 100106', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B');
    w.drop('A');
    const d = w.fire(graceTimerKey('A', DEFAULT_DEVICE));
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', ErrorCode.DISCONNECT)]);
    expect(d.deliveries.map((x) => x.to)).toEqual(['B']);
    expect(w.users.has('A')).toBe(false);
    expectNoCall(w, 'call-1');
    expectIdle(w, 'B');
    expect(w.ended()).toMatchObject({ outcome: 'disconnected', step: { errorCode: ErrorCode.DISCONNECT }, endedBy: 'A', endedIn: 'ringing' });
  });

  it('ringing callee gone: the caller gets REPLY 100106', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B', { flags: 2, param: 3 });
    w.drop('B');
    const d = w.fire(graceTimerKey('B', DEFAULT_DEVICE));
    expect(w.take('A')).toEqual([ev('call-1', REPLY, 'B', ErrorCode.DISCONNECT, { flags: 2, param: 3 })]);
    expect(d.deliveries.map((x) => x.to)).toEqual(['A']);
    expect(w.users.has('B')).toBe(false);
    expectIdle(w, 'A');
    expect(w.ended()).toMatchObject({ outcome: 'disconnected', endedBy: 'B', endedIn: 'ringing' });
  });

  it('talking party gone: the other party gets FINISH 100106', () => {
    for (const [gone, stays] of [
      ['A', 'B'],
      ['B', 'A'],
    ] as const) {
      const w = world('A', 'B');
      w.talking('A', 'B');
      w.drop(gone);
      const d = w.fire(graceTimerKey(gone, DEFAULT_DEVICE));
      expect(w.take(stays)).toEqual([ev('call-1', FINISH, gone, ErrorCode.DISCONNECT)]);
      expect(d.deliveries.map((x) => x.to)).toEqual([stays]);
      expect(w.users.has(gone)).toBe(false);
      expectIdle(w, stays);
      expect(w.ended()).toMatchObject({ outcome: 'disconnected', endedBy: gone, endedIn: 'talking' });
    }
  });

  it('a user that is gone is offline for the next caller', () => {
    const w = world('A', 'B', 'C');
    w.talking('A', 'B');
    w.drop('A');
    w.fire(graceTimerKey('A', DEFAULT_DEVICE));
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', ErrorCode.DISCONNECT)]);
    w.request('C', 'A');
    expect(w.take('C')).toEqual([ev('call-2', REPLY, 'A', ErrorCode.OFFLINE)]);
    w.request('C', 'B');
    expect(w.take('B')).toEqual([ev('call-3', REQUEST, 'C', 0)]);
  });

  it('a final disconnect ends the call at once, with no grace period', () => {
    const w = world('A', 'B');
    w.talking('A', 'B');
    const d = w.drop('B', { final: true });
    expect(w.take('A')).toEqual([ev('call-1', FINISH, 'B', ErrorCode.DISCONNECT)]);
    expect(w.users.has('B')).toBe(false);
    expect(w.timers.has(graceTimerKey('B', DEFAULT_DEVICE))).toBe(false);
    expect(d.timers.filter((t) => 'set' in t)).toEqual([]);
    expectIdle(w, 'A');
    expect(outcomes(d)).toEqual(['disconnected']);
  });

  it('a final disconnect of a ringing callee gives the caller REPLY 100106', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B');
    w.drop('B', { final: true });
    expect(w.take('A')).toEqual([ev('call-1', REPLY, 'B', ErrorCode.DISCONNECT)]);
  });

  it('with a zero grace period every disconnect is final', () => {
    const w = world('A', 'B');
    w.graceMs = 0;
    w.ringing('A', 'B');
    w.drop('A');
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', ErrorCode.DISCONNECT)]);
    expect(w.users.has('A')).toBe(false);
  });

  it('a grace-expired that comes before the deadline is ignored', () => {
    const w = world('A', 'B');
    w.talking('A', 'B');
    w.drop('A');
    w.now += GRACE_MS - 1;
    const d = w.apply({ kind: 'grace-expired', userId: 'A', sessionId: w.device('A').sessionId });
    expectNothingHappened(d);
    expect(w.callOf('A')?.phase).toBe('talking');
  });
});

describe('rule 5: resume', () => {
  it('a reconnect with the same session within grace keeps the call', () => {
    const w = world('A', 'B');
    const call = w.talking('A', 'B');
    const session = w.device('A').sessionId;
    w.drop('A');
    w.now += 5000;
    const d = w.connect('A', { resume: session });
    expect(d.session).toEqual({ sessionId: session, resumed: true });
    expect(d.deliveries).toEqual([]);
    expect(d.kicks).toEqual([]);
    expect(w.device('A')).toMatchObject({ sessionId: session, connected: true, graceDeadline: 0, droppedAt: 0 });
    expect(w.user('A').callId).toBe('call-1');
    expect(w.device('A').connectionId).not.toBe('c1-A');
    expect(w.timers.has(graceTimerKey('A', DEFAULT_DEVICE))).toBe(false);
    expect(w.calls.get('call-1')).toEqual(call);
    w.finish('B', 'A');
    expect(w.take('A')).toEqual([ev('call-1', FINISH, 'B', 0)]);
  });

  it('events sent while a party is away wait for its resume', () => {
    const w = world('A', 'B');
    w.talking('A', 'B');
    const session = w.device('A').sessionId;
    w.drop('A');
    w.finish('B', 'A', 0);
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', 0)]);
    w.connect('A', { resume: session });
    expect(w.take('A')).toEqual([ev('call-1', FINISH, 'B', 0)]);
    expectIdle(w, 'A', 'B');
  });

  it('a reconnect with a stale session id after the grace period gives a new idle session', () => {
    const w = world('A', 'B');
    w.talking('A', 'B');
    const session = w.device('A').sessionId;
    w.drop('A');
    w.fire(graceTimerKey('A', DEFAULT_DEVICE));
    const d = w.connect('A', { resume: session });
    expect(d.session).toEqual({ sessionId: w.device('A').sessionId, resumed: false });
    expect(w.device('A').sessionId).not.toBe(session);
    expect(w.user('A').callId).toBeNull();
    expect(w.device('A').connected).toBe(true);
  });
});

describe('rule 5: a new login without resume replaces the old one', () => {
  it('kicks the old connection with REPLACED, ends a started call for the peer, and starts idle', () => {
    const w = world('A', 'B');
    w.talking('A', 'B');
    const old = w.device('A');
    const d = w.connect('A');
    expect(d.kicks).toEqual([{ userId: 'A', deviceId: DEFAULT_DEVICE, node: 'local', connectionId: old.connectionId, code: ErrorCode.REPLACED }]);
    expect(d.session).toEqual({ sessionId: w.device('A').sessionId, resumed: false });
    expect(w.device('A').sessionId).not.toBe(old.sessionId);
    expect(w.user('A').callId).toBeNull();
    expect(w.device('A').connected).toBe(true);
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', ErrorCode.DISCONNECT)]);
    expect(d.deliveries.map((x) => x.to)).toEqual(['B']);
    expect(w.take('A')).toEqual([]);
    expectNoCall(w, 'call-1');
    expectIdle(w, 'B');
    expect(outcomes(d)).toEqual(['disconnected']);
  });

  it('ends a ringing call per rule 5: the callee gets FINISH 100106 when the caller logs in again', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B');
    w.connect('A');
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', ErrorCode.DISCONNECT)]);
    expect(w.take('A')).toEqual([]);
    expectIdle(w, 'A', 'B');
  });

  it('ends a ringing call per rule 5: the caller gets REPLY 100106 when the callee logs in again', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B');
    w.connect('B');
    expect(w.take('A')).toEqual([ev('call-1', REPLY, 'B', ErrorCode.DISCONNECT)]);
    expect(w.take('B')).toEqual([]);
    expectIdle(w, 'A', 'B');
  });

  it('does not kick anyone when the old session had already dropped', () => {
    const w = world('A', 'B');
    w.talking('A', 'B');
    w.drop('A');
    const d = w.connect('A');
    expect(d.kicks).toEqual([]);
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', ErrorCode.DISCONNECT)]);
    expect(w.timers.has(graceTimerKey('A', DEFAULT_DEVICE))).toBe(false);
  });

  it('answers controls from the replaced session with REPLACED and changes nothing', () => {
    const w = world('A', 'B', 'C');
    const old = w.device('A').sessionId;
    w.connect('A');
    w.ringing('B', 'C');
    for (const d of [
      w.request('A', 'C', { sessionId: old }),
      w.finish('A', 'B', 0, { sessionId: old }),
      w.reply('A', 'B', 0, { sessionId: old }),
    ]) {
      expect(d.result).toEqual({ ok: false, code: ErrorCode.REPLACED });
      expectNothingHappened(d);
    }
    expect(w.callOf('B')?.phase).toBe('ringing');
    for (const id of ['A', 'B', 'C']) expect(w.take(id)).toEqual([]);
  });

  it('ignores the late disconnect of a replaced connection', () => {
    const w = world('A', 'B');
    w.talking('A', 'B');
    const old = w.device('A');
    const takeover = w.connect('A', { resume: old.sessionId }); // a second socket resumes the session: the first is kicked
    expect(takeover.kicks).toEqual([{ userId: 'A', deviceId: DEFAULT_DEVICE, node: 'local', connectionId: old.connectionId, code: ErrorCode.REPLACED }]);
    expect(takeover.session).toEqual({ sessionId: old.sessionId, resumed: true });
    const d = w.apply({ kind: 'disconnect', userId: 'A', sessionId: old.sessionId, connectionId: old.connectionId, final: true });
    expectNothingHappened(d);
    expect(w.device('A').connected).toBe(true);
    expect(w.callOf('B')?.phase).toBe('talking');
  });
});

describe('business authorization', () => {
  function dialing(): CallWorld {
    const w = world('A', 'B', 'C');
    w.request('A', 'B', { flags: 3, param: 8, userStr: 'support', authorize: true });
    return w;
  }

  it('holds the REQUEST in phase dialing and asks the business server, telling the callee nothing', () => {
    const w = world('A', 'B');
    const d = w.request('A', 'B', { flags: 3, param: 8, userStr: 'support', authorize: true });
    expect(d.result).toEqual({ ok: true });
    expect(w.calls.get('call-1')?.phase).toBe('dialing');
    expect(d.authorize).toEqual([{ call: expect.objectContaining({ callId: 'call-1', caller: 'A', callee: 'B', phase: 'dialing' }), push: false }]);
    expect(d.deliveries).toEqual([]);
    expect(d.transitions.map((t) => t.type)).toEqual(['requested']);
    expect(w.user('B').callId).toBe('call-1');
    expect(w.timers.has(ringTimerKey('call-1'))).toBe(true);
  });

  it('rings when the business server answers 0', () => {
    const w = dialing();
    w.now += 300;
    const d = w.apply({ kind: 'authorized', callId: 'call-1', code: 0 });
    expect(w.take('B')).toEqual([ev('call-1', REQUEST, 'A', 0, { flags: 3, param: 8, userStr: 'support' })]);
    expect(w.take('A')).toEqual([ev('call-1', REPLY, 'B', 0, { flags: 3, param: 8 })]);
    expect(w.calls.get('call-1')?.phase).toBe('ringing');
    expect(d.transitions.map((t) => t.type)).toEqual(['ringing']);
    w.reply('B', 'A', 0);
    expect(w.take('A').map((e) => e.event)).toEqual([START]);
  });

  it('refuses with the business code when the business server answers non-zero', () => {
    const w = dialing();
    const d = w.apply({ kind: 'authorized', callId: 'call-1', code: 4001 });
    expect(w.take('A')).toEqual([ev('call-1', REPLY, 'B', 4001, { flags: 3, param: 8 })]);
    expect(w.take('B')).toEqual([]);
    expectNoCall(w, 'call-1');
    expectIdle(w, 'A', 'B');
    expect(w.ended()).toMatchObject({ outcome: 'vetoed', step: { errorCode: 4001 }, endedBy: 'business', endedIn: 'dialing' });
    expect(outcomes(d)).toEqual(['vetoed']);
  });

  it('keeps the callee busy for others, and deaf to its own REPLY or FINISH, while dialing', () => {
    const w = dialing();
    w.request('C', 'B');
    expect(w.take('C')).toEqual([ev('call-2', REPLY, 'B', ErrorCode.BUSY)]);
    expect(w.reply('B', 'A', 0).result).toEqual({ ok: false, code: ErrorCode.NOTINCALL });
    expect(w.finish('B', 'A').result).toEqual({ ok: false, code: ErrorCode.NOTINCALL });
    expect(w.calls.get('call-1')?.phase).toBe('dialing');
    expect(w.take('A')).toEqual([]);
  });

  // A choice the rules leave open: while the business server decides,
  // the callee is already reserved for this call although it has not been told about it.
  it('answers a REQUEST back from the callee while dialing with 440 INCHAT (not glare)', () => {
    const w = dialing();
    w.request('B', 'A');
    expect(w.take('B')).toEqual([ev('call-2', REPLY, 'A', ErrorCode.INCHAT)]);
    expect(w.take('A')).toEqual([]);
    expect(w.calls.get('call-1')?.phase).toBe('dialing');
  });

  it('lets the caller cancel while dialing; the late answer is then ignored', () => {
    const w = dialing();
    w.finish('A', 'B');
    expect(w.take('A')).toEqual([ev('call-1', FINISH, 'B', ErrorCode.CANCEL)]);
    expect(w.take('B')).toEqual([]);
    expect(w.ended()).toMatchObject({ outcome: 'cancelled', endedIn: 'dialing' });
    const late = w.apply({ kind: 'authorized', callId: 'call-1', code: 0 });
    expectNothingHappened(late);
    expect(w.take('B')).toEqual([]);
  });

  it('bounds the business decision by the ring timer: REPLY 100105 to the caller only', () => {
    const w = dialing();
    w.fire(ringTimerKey('call-1'));
    expect(w.take('A')).toEqual([ev('call-1', REPLY, 'B', ErrorCode.TIMEOUT, { flags: 3, param: 8 })]);
    expect(w.take('B')).toEqual([]);
    expectIdle(w, 'A', 'B');
  });

  it('ignores a second answer for a call that already rings', () => {
    const w = dialing();
    w.apply({ kind: 'authorized', callId: 'call-1', code: 0 });
    w.take('A');
    w.take('B');
    expectNothingHappened(w.apply({ kind: 'authorized', callId: 'call-1', code: 4001 }));
    expect(w.calls.get('call-1')?.phase).toBe('ringing');
  });
});

describe('business force-finish', () => {
  it('ends a started call: both get FINISH with the code and userStr', () => {
    const w = world('A', 'B');
    w.talking('A', 'B');
    const d = w.apply({ kind: 'force-finish', userId: 'B', errorCode: 8001, userStr: 'closed by agent', by: 'business' });
    expect(d.result).toEqual({ ok: true });
    expect(w.take('A')).toEqual([ev('call-1', FINISH, 'B', 8001, { userStr: 'closed by agent' })]);
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', 8001, { userStr: 'closed by agent' })]);
    expectIdle(w, 'A', 'B');
    expect(w.ended()).toMatchObject({ outcome: 'force-ended', step: { errorCode: 8001 }, endedBy: 'business', endedIn: 'talking' });
  });

  it('ends a ringing call: both get FINISH with the code', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B');
    w.apply({ kind: 'force-finish', userId: 'A', errorCode: ErrorCode.SHUTTING_DOWN, userStr: '', by: 'server' });
    expect(w.take('A')).toEqual([ev('call-1', FINISH, 'B', ErrorCode.SHUTTING_DOWN)]);
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', ErrorCode.SHUTTING_DOWN)]);
    expect(w.ended()).toMatchObject({ outcome: 'force-ended', endedBy: 'server', endedIn: 'ringing' });
  });

  it('answers NOTINCALL for a user in no call, or not connected at all', () => {
    const w = world('A');
    for (const userId of ['A', 'ghost']) {
      const d = w.apply({ kind: 'force-finish', userId, errorCode: 8001, userStr: '', by: 'business' });
      expect(d.result).toEqual({ ok: false, code: ErrorCode.NOTINCALL });
      expectNothingHappened(d);
    }
  });
});

describe('stale inputs are ignored', () => {
  it('ring-expired for a call that already started', () => {
    const w = world('A', 'B');
    w.talking('A', 'B');
    const d = w.apply({ kind: 'ring-expired', callId: 'call-1' });
    expectNothingHappened(d);
    expect(w.callOf('A')?.phase).toBe('talking');
  });

  it('ring-expired for a call that already ended', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B');
    w.reply('B', 'A', ErrorCode.REJECT);
    w.take('A');
    w.ringing('A', 'B');
    const d = w.apply({ kind: 'ring-expired', callId: 'call-1' });
    expectNothingHappened(d);
    expect(w.callOf('A')).toMatchObject({ callId: 'call-2', phase: 'ringing' });
  });

  it('grace-expired after a resume', () => {
    const w = world('A', 'B');
    w.talking('A', 'B');
    const user = w.device('A');
    w.drop('A');
    w.resume('A');
    w.now += GRACE_MS * 2;
    const d = w.apply({ kind: 'grace-expired', userId: 'A', sessionId: user.sessionId });
    expectNothingHappened(d);
    expect(w.callOf('A')?.phase).toBe('talking');
    expect(w.take('B')).toEqual([]);
  });

  it('grace-expired for a session that was replaced', () => {
    const w = world('A', 'B');
    const old = w.device('A').sessionId;
    w.drop('A');
    w.connect('A');
    w.drop('A');
    w.now += GRACE_MS;
    const d = w.apply({ kind: 'grace-expired', userId: 'A', sessionId: old });
    expectNothingHappened(d);
    expect(w.users.has('A')).toBe(true);
  });
});

describe('a control sent again with the same id is applied once', () => {
  it('a re-sent REPLY 0 gets its first answer and starts nothing twice', () => {
    const w = world('A', 'B');
    w.ringing('A', 'B');
    w.reply('B', 'A', 0, { controlId: 'k1' });
    expect(w.take('A').map((e) => e.event)).toEqual([START]);
    expect(w.take('B').map((e) => e.event)).toEqual([START]);
    expect(w.device('B').recentControls).toEqual([['k1', 0]]);
    const again = w.reply('B', 'A', 0, { controlId: 'k1' });
    expect(again.result).toEqual({ ok: true });
    expectNothingHappened(again);
    expect(w.take('A')).toEqual([]);
    expect(w.take('B')).toEqual([]);
  });

  it('a re-sent FINISH after its call ended answers ok, not NOTINCALL', () => {
    const w = world('A', 'B');
    w.talking('A', 'B');
    w.finish('A', 'B', 0, { controlId: 'k1' });
    w.take('A');
    w.take('B');
    const again = w.finish('A', 'B', 0, { controlId: 'k1' });
    expect(again.result).toEqual({ ok: true });
    expectNothingHappened(again);
    expect(w.take('B')).toEqual([]);
  });

  it('a re-sent control that failed fails the same way, even if it would now apply', () => {
    const w = world('A', 'B');
    const first = w.finish('A', 'B', 0, { controlId: 'k1' });
    expect(first.result).toEqual({ ok: false, code: ErrorCode.NOTINCALL });
    expect(first.deliveries).toEqual([]);
    expect([...first.users.values()]).toEqual([{ ...w.user('A'), devices: [{ ...w.device('A'), recentControls: [['k1', ErrorCode.NOTINCALL]] }] }]);
    w.ringing('A', 'B');
    const again = w.finish('A', 'B', 0, { controlId: 'k1' });
    expect(again.result).toEqual({ ok: false, code: ErrorCode.NOTINCALL });
    expectNothingHappened(again);
    expect(w.callOf('A')?.phase).toBe('ringing');
  });

  it('ids survive a resume but not a new session', () => {
    const w = world('A', 'B', 'C');
    w.request('A', 'B', { controlId: 'k1' });
    w.take('A');
    w.take('B');
    const session = w.device('A').sessionId;
    w.drop('A');
    w.connect('A', { resume: session });
    expectNothingHappened(w.request('A', 'B', { controlId: 'k1' }));
    expect(w.take('B')).toEqual([]);
    w.connect('A'); // a new login: the call ends, the remembered ids go with the old session
    w.take('B');
    w.request('A', 'B', { controlId: 'k1' });
    expect(w.take('B')).toEqual([ev('call-2', REQUEST, 'A', 0)]);
  });

  it(`remembers the last ${REMEMBERED_CONTROLS} ids only`, () => {
    const w = world('A', 'B');
    for (let i = 0; i <= REMEMBERED_CONTROLS; i++) w.finish('A', 'B', 0, { controlId: `k${i}` });
    expect(w.device('A').recentControls).toHaveLength(REMEMBERED_CONTROLS);
    w.ringing('A', 'B');
    expect(w.finish('A', 'B', 0, { controlId: `k${REMEMBERED_CONTROLS}` }).result).toEqual({ ok: false, code: ErrorCode.NOTINCALL });
    expect(w.finish('A', 'B', 0, { controlId: 'k0' }).result).toEqual({ ok: true });
    expect(w.take('B')).toEqual([ev('call-1', FINISH, 'A', ErrorCode.CANCEL)]);
  });
});

describe('transitions name each way a call ends', () => {
  const cases: [CallOutcome, (w: CallWorld) => void][] = [
    ['completed', (w) => (w.talking('A', 'B'), w.finish('A', 'B'))],
    ['refused', (w) => (w.ringing('A', 'B'), w.reply('B', 'A', ErrorCode.REJECT))],
    ['busy', (w) => (w.ringing('A', 'B'), w.request('C', 'B'))],
    ['offline', (w) => w.request('A', 'nobody')],
    ['cancelled', (w) => (w.ringing('A', 'B'), w.reply('A', 'B', ErrorCode.CANCEL))],
    ['timeout', (w) => (w.ringing('A', 'B'), w.fire(ringTimerKey('call-1')))],
    ['disconnected', (w) => (w.ringing('A', 'B'), w.drop('B', { final: true }))],
    ['vetoed', (w) => (w.request('A', 'B', { authorize: true }), w.apply({ kind: 'authorized', callId: 'call-1', code: 9 }))],
    ['force-ended', (w) => (w.ringing('A', 'B'), w.apply({ kind: 'force-finish', userId: 'B', errorCode: 1, userStr: '', by: 'business' }))],
    ['caller-busy', (w) => (w.ringing('A', 'B'), w.request('A', 'C'))],
    ['invalid', (w) => w.request('C', 'C')],
  ];
  for (const [outcome, run] of cases) {
    it(outcome, () => {
      const w = world('A', 'B', 'C');
      run(w);
      expect(outcomes(w.last)).toEqual([outcome]);
    });
  }
});
