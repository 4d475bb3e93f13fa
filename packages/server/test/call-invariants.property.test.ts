/**
 * Rule 7 of docs/architecture.md as a property: random sequences of controls, timers, drops, resumes and
 * business actions over four users on one device each, fed one at a time through the pure call state
 * machine and committed the way the memory backend does. After every step the state and every user's
 * event stream are checked, and each step's effect is compared with a small model of the rules
 * (with "Devices": a dropped callee is not rung, its REQUEST waits; a push hook may wake an absent
 * callee). Several devices per user: device-invariants.property.test.ts.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ErrorCode, VideoCallEvent, type VideoCallEventType } from '@callgate/protocol';
import { REMEMBERED_CONTROLS, decide } from '../src/calls/machine.js';
import { snapshotFor } from '../src/calls/snapshot.js';
import { callDeliveries, graceTimerKey, ringTimerKey, wakeTimerKey } from '../src/calls/draft.js';
import {
  DEFAULT_DEVICE,
  type CallEvent,
  type CallInput,
  type CallOutcome,
  type CallRecord,
  type CallTransition,
  type ControlInput,
  type Decision,
  type DecisionContext,
  type Delivery,
  type DeviceRecord,
  type Snapshot,
  type TimerInput,
  type UserRecord,
} from '../src/calls/types.js';

const { REQUEST, REPLY, START, FINISH } = VideoCallEvent;
const USERS = ['u1', 'u2', 'u3', 'u4'] as const;
const GHOST = 'ghost';
const RING_MS = 60_000;
const GRACE_MS = 15_000;
const OFFLINE_WAIT_MS = 30_000;

/** Each user's one device, and its session. */
const deviceOf = (user: UserRecord | undefined): DeviceRecord | undefined => user?.devices.find((d) => d.deviceId === DEFAULT_DEVICE);
const sessionOf = (user: UserRecord | undefined): string | undefined => deviceOf(user)?.sessionId;
const present = (user: UserRecord | undefined): boolean => deviceOf(user)?.connected === true;

const contextAt = (now: number, newCallId: () => string, newRoomId: () => number): DecisionContext => ({
  now,
  newCallId,
  newRoomId,
  ringTimeoutMs: RING_MS,
  newEntryId: () => 'entry',
  queue: () => undefined,
  graceMs: GRACE_MS,
  offlineWaitMs: OFFLINE_WAIT_MS,
  maxDevices: 5,
});

// ---- actions ----

type Action =
  | { kind: 'connect'; user: number; resume: 'current' | 'stale' | 'none' }
  | { kind: 'disconnect'; user: number; final: boolean }
  | {
      kind: 'control';
      user: number;
      event: 'REQUEST' | 'REPLY' | 'FINISH';
      /** An index into USERS (USERS.length is a user who never connects), or the sender's call peer. */
      peer: number | 'call-peer';
      code: number;
      flags: number;
      param: number;
      userStr: string;
      authorize: boolean;
      /** Whether a push hook can wake a callee with no device (the REQUEST then waits instead of OFFLINE). */
      push: boolean;
      staleSession: boolean;
      /** Whether the control carries an id (the SDK sends one; the seed protocol did not). */
      withId: boolean;
    }
  /** The user's last control sent again, unchanged, as the SDK does after a resume. */
  | { kind: 'resend'; user: number }
  | { kind: 'ring-expired'; pick: number }
  | { kind: 'grace-expired'; user: number }
  | { kind: 'authorized'; pick: number; code: number }
  | { kind: 'force-finish'; user: number; code: number }
  | { kind: 'advance'; ms: number };

const userIndex = fc.integer({ min: 0, max: USERS.length - 1 });
const rareTrue = fc.oneof({ arbitrary: fc.constant(false), weight: 9 }, { arbitrary: fc.constant(true), weight: 1 });
const anyCode = fc.integer({ min: 1, max: 0x7fffffff });

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('connect' as const),
      user: userIndex,
      resume: fc.constantFrom('current' as const, 'current' as const, 'stale' as const, 'none' as const),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), user: userIndex, final: fc.boolean() }) },
  {
    weight: 7,
    arbitrary: fc.record({
      kind: fc.constant('control' as const),
      user: userIndex,
      event: fc.constant('REQUEST' as const),
      peer: fc.oneof(fc.integer({ min: 0, max: USERS.length }), fc.constant('call-peer' as const)),
      code: fc.constant(0),
      flags: fc.integer({ min: 0, max: 0x3ff }),
      param: fc.nat({ max: 0xffffffff }),
      userStr: fc.string({ maxLength: 4 }),
      authorize: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }),
      push: fc.oneof({ arbitrary: fc.constant(false), weight: 2 }, { arbitrary: fc.constant(true), weight: 1 }),
      staleSession: rareTrue,
      withId: fc.boolean(),
    }),
  },
  {
    weight: 7,
    arbitrary: fc.record({
      kind: fc.constant('control' as const),
      user: userIndex,
      event: fc.constantFrom('REPLY' as const, 'FINISH' as const),
      peer: fc.oneof(
        { weight: 3, arbitrary: fc.constant('call-peer' as const) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: USERS.length }) },
      ),
      code: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(0, ErrorCode.REJECT, ErrorCode.CANCEL) },
        { weight: 1, arbitrary: anyCode },
      ),
      flags: fc.integer({ min: 0, max: 0x3ff }),
      param: fc.nat({ max: 0xffffffff }),
      userStr: fc.string({ maxLength: 4 }),
      authorize: fc.constant(false),
      push: fc.constant(false),
      staleSession: rareTrue,
      withId: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('resend' as const), user: userIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('ring-expired' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('grace-expired' as const), user: userIndex }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('authorized' as const),
      pick: fc.nat(),
      code: fc.oneof(fc.constant(0), anyCode),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('force-finish' as const), user: userIndex, code: fc.oneof(fc.constant(0), anyCode) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40_000 }) }) },
);

// ---- what each party has seen of each call ----

type PartyState = 'none' | 'ringing' | 'talking' | 'done';

interface CallStream {
  call: CallRecord;
  /**
   * The sessions the parties hear the call on: the caller's when it called, the callee's when it
   * rang; a party that loses its session gets no more events.
   */
  sessions: { caller: string | undefined; callee: string | undefined };
  caller: PartyState;
  callee: PartyState;
  /** Only a refusal at once (rule 1): the call never existed for the callee. */
  refusedAtOnce: boolean;
  roomId: number;
  ended: boolean;
  log: string[];
}

type Ended = Extract<CallTransition, { type: 'ended' }>;

/** Expected effect of one input, from a model of the call rules (docs/architecture.md). */
interface Expectation {
  /** Transitions in order: "requested", "ringing", "started", "ended:<outcome>". */
  transitions: string[];
  /** Every delivery as "to:event:errorCode", in any order. */
  deliveries: string[];
  result: { ok: true } | { ok: false; code: number };
  /** True when the input must change nothing and tell nobody. */
  quiet: boolean;
  resumed?: boolean;
  /** The REQUEST waits for the callee (the caller gets a waking message); pushed when a push hook is asked to wake it. */
  waits?: { pushed: boolean };
}

const delivery = (to: string, event: VideoCallEventType, code: number): string => `${to}:${event}:${code}`;
const rings = (caller: string, callee: string): string[] => [delivery(callee, REQUEST, 0), delivery(caller, REPLY, 0)];
const starts = (c: CallRecord): string[] => [delivery(c.caller, START, 0), delivery(c.callee, START, 0)];
/** FINISH to both parties, or only to the caller while the callee has not been told. */
const finishes = (c: CallRecord, code: number): string[] =>
  c.phase === 'dialing' ? [delivery(c.caller, FINISH, code)] : [delivery(c.caller, FINISH, code), delivery(c.callee, FINISH, code)];
/** Rule 5: what the other party hears when `gone` does not come back. */
const leaves = (gone: string, c: CallRecord): string[] => {
  if (c.phase === 'talking') return [delivery(gone === c.caller ? c.callee : c.caller, FINISH, ErrorCode.DISCONNECT)];
  if (gone === c.callee) return [delivery(c.caller, REPLY, ErrorCode.DISCONNECT)];
  return c.phase === 'ringing' ? [delivery(c.callee, FINISH, ErrorCode.DISCONNECT)] : [];
};

/** The call events of a decision that reach a device of their user (as `userOf` has it after the commit). */
function callEventsReaching(decision: Decision, userOf: (userId: string) => UserRecord | undefined): Extract<Delivery, { event: CallEvent }>[] {
  return decision.deliveries.flatMap((d) => {
    if (!('event' in d)) return [];
    const devices = userOf(d.to)?.devices.map((device) => device.deviceId) ?? [];
    const reaches = d.device !== undefined ? devices.includes(d.device) : devices.some((id) => id !== d.except);
    return reaches ? [d] : [];
  });
}

class Violation extends Error {}

function check(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new Violation(message());
}

const seen = new Map<string, number>();
const count = (what: string): void => {
  seen.set(what, (seen.get(what) ?? 0) + 1);
};

class World {
  readonly users = new Map<string, UserRecord>();
  readonly calls = new Map<string, CallRecord>();
  readonly timers = new Map<string, { at: number; input: TimerInput }>();
  readonly streams = new Map<string, CallStream>();
  /** Every session each user has had, for stale resumes and stale controls. */
  readonly sessions = new Map<string, string[]>();
  /** Per session, the ids of the controls it applied and the code each got, oldest first. */
  private readonly answered = new Map<string, [string, number][]>();
  private readonly lastControl = new Map<string, ControlInput>();
  /** Whether each REQUEST could push (the business server's answer carries it back). */
  private readonly pushOf = new Map<string, boolean>();
  /** The calls that waited for their callee: since when, and whether a push hook was asked. */
  private readonly waited = new Map<string, { since: number; pushed: boolean }>();
  private controlSeq = 0;
  now = 1_000_000;
  private callSeq = 0;
  private sessionSeq = 0;
  private connectionSeq = 0;
  private step = 0;

  private ctx(created: Set<string>): DecisionContext {
    const newCallId = (): string => {
      const id = `call-${++this.callSeq}`;
      created.add(id);
      return id;
    };
    // The lowest free room, so that rooms are reused and uniqueness is really tested.
    const newRoomId = (): number => {
      const taken = new Set([...this.calls.values()].map((c) => c.roomId));
      let room = 1;
      while (taken.has(room)) room++;
      return room;
    };
    return contextAt(this.now, newCallId, newRoomId);
  }

  snapshot(input: CallInput): Snapshot {
    return snapshotFor(input, (id) => this.users.get(id), (id) => this.calls.get(id));
  }

  // ---- the model ----

  private expect(input: CallInput): Expectation {
    const ok = { ok: true } as const;
    const nothing: Expectation = { transitions: [], deliveries: [], result: ok, quiet: true };
    const fail = (code: number): Expectation => ({ ...nothing, result: { ok: false, code } });
    const act = (transitions: string[], deliveries: string[], extra: Partial<Expectation> = {}): Expectation => ({
      transitions,
      deliveries,
      result: ok,
      quiet: false,
      ...extra,
    });
    const callOf = (userId: string): CallRecord | undefined => {
      const id = this.users.get(userId)?.callId ?? null;
      return id === null ? undefined : this.calls.get(id);
    };
    const waitsFor = (userId: string): CallRecord | undefined => {
      const call = callOf(userId);
      return call?.waking && call.callee === userId ? call : undefined;
    };
    /** A user leaves for good: its call, if any, ends by rule 5 (a REQUEST waiting for it waits on). */
    const leave = (userId: string, extra: Partial<Expectation> = {}): Expectation => {
      const call = callOf(userId);
      return call && !waitsFor(userId) ? act(['ended:disconnected'], leaves(userId, call), extra) : act([], [], extra);
    };
    /** A REQUEST allowed to ring: it rings a present callee, else waits for its device (grace) or a push, else OFFLINE. */
    const ringOrWait = (caller: string, callee: string, push: boolean, before: string[]): Expectation => {
      const user = this.users.get(callee);
      if (present(user)) return act([...before, 'ringing'], rings(caller, callee));
      const grace = deviceOf(user)?.graceDeadline ?? 0;
      const until = Math.max(grace, push ? this.now + OFFLINE_WAIT_MS : 0);
      if (until <= this.now) return act([...before, 'ended:offline'], [delivery(caller, REPLY, ErrorCode.OFFLINE)]);
      return act(before, [], { waits: { pushed: push } });
    };
    switch (input.kind) {
      case 'control': {
        const { from, userId: peer, errorCode: code } = input;
        const sender = this.users.get(from);
        if (!sender || sessionOf(sender) !== input.sessionId) return fail(ErrorCode.REPLACED);
        const answer = this.answered
          .get(input.sessionId)
          ?.slice(-REMEMBERED_CONTROLS)
          .find(([id]) => id === input.id);
        if (answer) return answer[1] === 0 ? nothing : fail(answer[1]); // a re-sent control gets its first answer
        const call = callOf(from);
        if (input.event === REQUEST) {
          if (call?.phase === 'ringing' && call.callee === from && call.caller === peer) return act(['started'], starts(call));
          const refuse = (outcome: CallOutcome, refusal: number): Expectation =>
            act([`ended:${outcome}`], [delivery(from, REPLY, refusal)]);
          if (from === peer) return refuse('invalid', ErrorCode.SELF_CALL);
          if (call) return refuse('caller-busy', ErrorCode.INCHAT);
          const callee = this.users.get(peer);
          if (!callee && !input.push) return refuse('offline', ErrorCode.OFFLINE);
          if (callee && callee.callId !== null) return refuse('busy', ErrorCode.BUSY);
          return input.authorize ? act(['requested'], []) : ringOrWait(from, peer, input.push === true, ['requested']);
        }
        if (!call || peer !== (call.caller === from ? call.callee : call.caller)) return fail(ErrorCode.NOTINCALL);
        const byCaller = call.caller === from;
        const cancel = act(['ended:cancelled'], finishes(call, ErrorCode.CANCEL));
        if (input.event === REPLY) {
          if (!byCaller && call.phase === 'ringing') {
            return code === 0 ? act(['started'], starts(call)) : act(['ended:refused'], [delivery(call.caller, REPLY, code)]);
          }
          if (byCaller && call.phase !== 'talking' && code === ErrorCode.CANCEL) return cancel;
          return fail(ErrorCode.NOTINCALL);
        }
        if (!byCaller && call.phase === 'dialing') return fail(ErrorCode.NOTINCALL);
        if (byCaller && call.phase !== 'talking') return cancel;
        return act([call.phase === 'talking' ? 'ended:completed' : 'ended:refused'], finishes(call, code));
      }
      case 'connect': {
        const resumed = input.resumeSessionId !== undefined && sessionOf(this.users.get(input.userId)) === input.resumeSessionId;
        // A device of a callee that is waited for arrives (back, or afresh): the call rings.
        const waiting = waitsFor(input.userId);
        if (waiting) return act(['ringing'], rings(waiting.caller, waiting.callee), { resumed });
        if (resumed) return act([], [], { resumed: true });
        // A callee held without a device (while the business server decides) just gets one.
        if (!deviceOf(this.users.get(input.userId))) return act([], [], { resumed: false });
        return leave(input.userId, { resumed: false });
      }
      case 'disconnect': {
        const device = deviceOf(this.users.get(input.userId));
        if (!device || device.sessionId !== input.sessionId || device.connectionId !== input.connectionId || !device.connected) {
          return nothing;
        }
        return input.final ? leave(input.userId) : act([], []);
      }
      case 'grace-expired': {
        const device = deviceOf(this.users.get(input.userId));
        if (!device || device.sessionId !== input.sessionId || device.connected || this.now < device.graceDeadline) return nothing;
        return leave(input.userId);
      }
      case 'wake-expired': {
        const call = this.calls.get(input.callId);
        if (!call?.waking || call.phase !== 'dialing' || this.now < call.waking.until) return nothing;
        return act(['ended:offline'], [delivery(call.caller, REPLY, ErrorCode.OFFLINE)]);
      }
      case 'ring-expired': {
        const call = this.calls.get(input.callId);
        if (!call || call.phase === 'talking' || this.now < call.ringDeadline) return nothing;
        const callee = call.phase === 'ringing' ? [delivery(call.callee, FINISH, ErrorCode.TIMEOUT)] : [];
        return act(['ended:timeout'], [delivery(call.caller, REPLY, ErrorCode.TIMEOUT), ...callee]);
      }
      case 'authorized': {
        const call = this.calls.get(input.callId);
        if (call?.phase !== 'dialing' || call.waking) return nothing;
        if (input.code === 0) return ringOrWait(call.caller, call.callee, input.push === true, []);
        return act(['ended:vetoed'], [delivery(call.caller, REPLY, input.code)]);
      }
      case 'force-finish': {
        const call = callOf(input.userId);
        if (!call) return fail(ErrorCode.NOTINCALL);
        return act(['ended:force-ended'], finishes(call, input.errorCode));
      }
      default:
        return nothing; // contact-centre inputs: packages/server/test/queue-*.test.ts
    }
  }

  // ---- one step ----

  apply(input: CallInput): Decision {
    this.step++;
    const where = (): string => `step ${this.step} ${JSON.stringify(input)}`;
    const expected = this.expect(input);
    const snapshot = this.snapshot(input);
    const created = new Set<string>();
    const decision = decide(snapshot, input, this.ctx(created));

    // The model of §4.
    const transitions = decision.transitions.map((t) => (t.type === 'ended' ? `ended:${t.outcome}` : t.type));
    check(JSON.stringify(transitions) === JSON.stringify(expected.transitions), () => `${where()}: transitions ${transitions} ≠ ${expected.transitions}`);
    check(JSON.stringify(decision.result) === JSON.stringify(expected.result), () => `${where()}: result ${JSON.stringify(decision.result)}`);
    const deliveries = callEventsReaching(decision, (id) => (decision.users.has(id) ? (decision.users.get(id) ?? undefined) : this.users.get(id)))
      .map((d) => delivery(d.to, d.event.event, d.event.errorCode))
      .sort();
    const expectedDeliveries = [...expected.deliveries].sort();
    check(JSON.stringify(deliveries) === JSON.stringify(expectedDeliveries), () => `${where()}: delivered ${deliveries} ≠ ${expectedDeliveries}`);
    if (expected.resumed !== undefined) {
      const resumed = decision.session !== undefined && 'resumed' in decision.session && decision.session.resumed;
      check(resumed === expected.resumed, () => `${where()}: session ${JSON.stringify(decision.session)}`);
    }
    this.checkWaits(input, decision, expected, where);
    if (expected.quiet || !decision.result.ok) {
      // The only write allowed: the sender remembering the id of a control it just applied.
      const forgetful = (user: UserRecord): string => JSON.stringify({ ...user, devices: user.devices.map((d) => ({ ...d, recentControls: [] })) });
      const remembers = (id: string, user: UserRecord | null): boolean => {
        const before = snapshot.users.get(id);
        if (input.kind !== 'control' || input.id === undefined || id !== input.from || !user || !before) return false;
        return forgetful(user) === forgetful(before);
      };
      const writes = [...decision.users].filter(([id, user]) => !remembers(id, user));
      check(
        decision.deliveries.length === 0 && writes.length === 0 && decision.calls.size === 0 && decision.kicks.length === 0,
        () => `${where()}: an ignored or failed input changed something: ${JSON.stringify(decision)}`,
      );
    }
    // A decision writes only what it read (or creates).
    // (A REQUEST that may push holds its absent callee by a record without devices.)
    for (const id of decision.users.keys()) {
      const creates = (input.kind === 'connect' && input.userId === id) || (input.kind === 'control' && input.push === true && input.userId === id);
      check(snapshot.users.has(id) || creates, () => `${where()}: wrote user ${id} it did not read`);
    }
    for (const id of decision.calls.keys()) {
      check(snapshot.calls.has(id) || created.has(id), () => `${where()}: wrote call ${id} it did not read`);
    }
    if (input.kind === 'connect') {
      const old = deviceOf(this.users.get(input.userId));
      const kicks = old?.connected ? [{ userId: input.userId, deviceId: old.deviceId, node: old.node, connectionId: old.connectionId, code: ErrorCode.REPLACED }] : [];
      check(JSON.stringify(decision.kicks) === JSON.stringify(kicks), () => `${where()}: kicks ${JSON.stringify(decision.kicks)}`);
    }
    for (const { call } of decision.authorize) check(call.phase === 'dialing', () => `${where()}: authorize a ${call.phase} call`);

    this.commit(decision);
    if (input.kind === 'control' && input.event === REQUEST && decision.transitions[0]?.type === 'requested') this.pushOf.set(decision.transitions[0].call.callId, input.push === true);
    if (input.kind === 'control' && input.id !== undefined && !expected.quiet) count('control id remembered');
    if (input.kind === 'control' && input.id !== undefined && expected.quiet && decision.result.ok) count('control re-sent');
    this.remember(input, decision, snapshot);
    this.follow(decision, where);
    this.checkState(where);
    return decision;
  }

  /**
   * A REQUEST that waits tells its caller (waking) and, when it may push, the push hook; a call
   * that ends while a push hook was asked to wake its callee tells the hook it is cancelled.
   */
  private checkWaits(input: CallInput, decision: Decision, expected: Expectation, where: () => string): void {
    const waking = decision.deliveries.flatMap((d) => ('waking' in d ? [d] : []));
    check(waking.length === (expected.waits ? 1 : 0), () => `${where()}: waking messages ${JSON.stringify(waking)}, expected ${JSON.stringify(expected.waits)}`);
    for (const message of waking) {
      const call = this.calls.get(message.waking.callId) ?? decision.calls.get(message.waking.callId);
      check(call?.caller === message.to && message.device === call.callerDevice && message.waking.pushed === expected.waits?.pushed, () => `${where()}: waking ${JSON.stringify(message)}`);
      this.waited.set(message.waking.callId, { since: this.now, pushed: message.waking.pushed });
    }
    const cancelled = decision.transitions.filter((t) => t.type === 'ended' && this.calls.get(t.call.callId)?.waking?.pushed).length;
    const wakes = [...(expected.waits?.pushed ? ['push'] : []), ...Array<string>(cancelled).fill('cancelled')];
    const told = decision.wakes.map((wake) => wake.type);
    check(JSON.stringify(told) === JSON.stringify(wakes), () => `${where()}: push hook told ${told}, expected ${wakes}`);
    if (expected.waits) count(expected.waits.pushed ? 'waited, pushed' : 'waited for a device');
    if (cancelled > 0) count('push cancelled');
  }

  /** Notes the answer to a control with an id, as the session must remember it. */
  private remember(input: CallInput, decision: Decision, snapshot: Snapshot): void {
    if (input.kind !== 'control' || input.id === undefined) return;
    if (sessionOf(snapshot.users.get(input.from)) !== input.sessionId) return;
    const answers = this.answered.get(input.sessionId) ?? [];
    if (answers.slice(-REMEMBERED_CONTROLS).some(([id]) => id === input.id)) return;
    answers.push([input.id, decision.result.ok ? 0 : decision.result.code]);
    this.answered.set(input.sessionId, answers);
  }

  private commit(decision: Decision): void {
    for (const [id, user] of decision.users) {
      if (user === null) {
        this.users.delete(id);
        continue;
      }
      this.users.set(id, user);
      const sessions = this.sessions.get(id) ?? [];
      for (const { sessionId } of user.devices) if (!sessions.includes(sessionId)) sessions.push(sessionId);
      this.sessions.set(id, sessions);
    }
    for (const [id, call] of decision.calls) {
      if (call === null) this.calls.delete(id);
      else this.calls.set(id, call);
    }
    for (const change of decision.timers) {
      if ('set' in change) this.timers.set(change.set, { at: change.at, input: change.input });
      else this.timers.delete(change.clear);
    }
  }

  /** Follows every call's story through the decision's transitions and deliveries. */
  private follow(decision: Decision, where: () => string): void {
    const endedNow: Ended[] = [];
    for (const t of decision.transitions) {
      count(t.type === 'ended' ? t.outcome : t.type);
      if (t.type === 'requested' || (t.type === 'ended' && t.endedIn === 'requested')) {
        check(!this.streams.has(t.call.callId), () => `${where()}: call id ${t.call.callId} used twice`);
        this.streams.set(t.call.callId, {
          call: t.call,
          sessions: { caller: sessionOf(this.users.get(t.call.caller)), callee: undefined },
          caller: 'none',
          callee: 'none',
          refusedAtOnce: t.type === 'ended',
          roomId: 0,
          ended: false,
          log: [],
        });
      }
      const stream = this.streams.get(t.call.callId);
      check(stream !== undefined && !stream.ended, () => `${where()}: transition ${t.type} for unknown or ended call ${t.call.callId}`);
      if (t.type === 'ringing') {
        stream.sessions.callee = sessionOf(this.users.get(t.call.callee));
        const waited = this.waited.get(t.call.callId);
        check(JSON.stringify(t.woke) === JSON.stringify(waited && { pushed: waited.pushed, afterMs: t.at - waited.since }), () => `${where()}: rang with woke ${JSON.stringify(t.woke)} after waiting ${JSON.stringify(waited)}`);
        if (waited) count('woke');
      }
      if (t.type === 'started') {
        check(t.call.roomId > 0 && t.call.roomId <= 0xffffffff, () => `${where()}: roomId ${t.call.roomId}`);
        stream.roomId = t.call.roomId;
      }
      if (t.type === 'ended') endedNow.push(t);
    }

    for (const { to, event } of callEventsReaching(decision, (id) => this.users.get(id))) {
      const stream = this.streams.get(event.callId);
      const what = (): string => `${where()}: ${to} got ${JSON.stringify(event)}`;
      check(stream !== undefined, () => `${what()} about an unknown call`);
      check(!stream.ended, () => `${what()} after its call ended`);
      const { call } = stream;
      check(to === call.caller || to === call.callee, () => `${what()}, not a party of ${call.caller}→${call.callee}`);
      check(event.userId === (to === call.caller ? call.callee : call.caller), () => `${what()}: userId is not the other party`);
      check(this.users.has(to), () => `${what()}, a user who is not here`);
      check(sessionOf(this.users.get(to)) === (to === call.caller ? stream.sessions.caller : stream.sessions.callee), () => `${what()} in another session`);
      stream.log.push(`${to}:${event.event}/${event.errorCode}`);
      if (to === call.caller) stream.caller = this.callerSees(stream, event, what);
      else stream.callee = this.calleeSees(stream, event, what);
      if (event.event === START) count('START delivered');
    }

    for (const t of endedNow) this.callEnded(t, where);
  }

  private callerSees(stream: CallStream, event: CallEvent, what: () => string): PartyState {
    const { call } = stream;
    const state = stream.caller;
    const story = (): string => `${what()} in state ${state}; story ${stream.log.join(' ')}`;
    switch (event.event) {
      case REPLY:
        check(state === 'none' || (state === 'ringing' && event.errorCode !== 0), story);
        if (event.errorCode === 0) {
          check(event.flags === call.flags && event.param === call.param && event.userStr === '', story);
          return 'ringing';
        }
        return 'done';
      case START:
        check(state === 'ringing' && event.errorCode === 0, story);
        check(event.param === stream.roomId && event.param !== 0 && event.flags === call.flags, () => `${story()}: START param/flags`);
        return 'talking';
      case FINISH:
        check(state !== 'done', story);
        return 'done';
      default:
        throw new Violation(`${story()}: a caller never gets REQUEST`);
    }
  }

  private calleeSees(stream: CallStream, event: CallEvent, what: () => string): PartyState {
    const { call } = stream;
    const state = stream.callee;
    const story = (): string => `${what()} in state ${state}; story ${stream.log.join(' ')}`;
    check(!stream.refusedAtOnce, () => `${story()}: a refused REQUEST reached the callee`);
    switch (event.event) {
      case REQUEST:
        check(state === 'none' && event.errorCode === 0, story);
        check(event.flags === call.flags && event.param === call.param && event.userStr === call.userStr, () => `${story()}: payload`);
        return 'ringing';
      case START:
        check(state === 'ringing' && event.errorCode === 0, story);
        check(event.param === stream.roomId && event.param !== 0 && event.flags === call.flags, () => `${story()}: START param/flags`);
        return 'talking';
      case FINISH:
        check(state === 'ringing' || state === 'talking', story);
        return 'done';
      default:
        throw new Violation(`${story()}: a callee never gets REPLY`);
    }
  }

  private callEnded(t: Ended, where: () => string): void {
    const stream = this.streams.get(t.call.callId);
    check(stream !== undefined, () => `${where()}: unknown call ended`);
    stream.ended = true;
    const { call } = stream;
    const story = (): string => `${where()}: ${call.callId} ended ${t.outcome} from ${t.endedIn}; story ${stream.log.join(' ')}`;
    const intact = (party: 'caller' | 'callee'): boolean => {
      const session = stream.sessions[party];
      return session !== undefined && sessionOf(this.users.get(call[party])) === session;
    };
    check(!this.calls.has(call.callId), () => `${story()}: the call is still stored`);
    if (stream.refusedAtOnce) {
      check(stream.log.length === 1 && stream.log[0] === `${call.caller}:${REPLY}/${t.step.errorCode}` && t.step.errorCode !== 0, () => `${story()}: refusal`);
      return;
    }
    // Rule 7: exactly one outcome at the caller, and a FINISH after every START.
    if (intact('caller')) check(stream.caller === 'done', () => `${story()}: the caller has no outcome`);
    if (intact('callee')) {
      check(stream.callee !== 'talking', () => `${story()}: the callee got START but no FINISH`);
      if (stream.callee === 'ringing') {
        check(t.outcome === 'refused' && t.endedBy === call.callee, () => `${story()}: the callee was left ringing`);
      }
      if (stream.callee === 'none') check(t.endedIn === 'dialing', () => `${story()}: the callee never rang`);
    }
    // Both parties can call again at once.
    for (const party of [call.caller, call.callee]) {
      const user = this.users.get(party);
      check(user === undefined || user.callId === null, () => `${story()}: ${party} is not idle`);
    }
    const caller = this.users.get(call.caller);
    const callee = this.users.get(call.callee);
    if (present(caller) && present(callee)) {
      const probe: ControlInput = {
        kind: 'control',
        from: call.caller,
        sessionId: sessionOf(caller)!,
        event: REQUEST,
        userId: call.callee,
        errorCode: 0,
        flags: 1,
        param: 2,
        userStr: 'again',
        authorize: false,
      };
      const again = decide(this.snapshot(probe), probe, contextAt(this.now, () => 'probe', () => 1));
      check(
        again.transitions.map((x) => x.type).join() === 'requested,ringing' &&
          callDeliveries(again).some((d) => d.to === call.callee && d.event.event === REQUEST),
        () => `${story()}: a new REQUEST between the parties does not ring`,
      );
      count('probed');
    }
  }

  /** Consistency of users, calls, rooms and timers. */
  checkState(where: () => string): void {
    const rooms = new Set<number>();
    for (const [id, user] of this.users) {
      const call = user.callId === null ? undefined : this.calls.get(user.callId);
      if (user.callId !== null) check(call !== undefined && (call.caller === id || call.callee === id), () => `${where()}: ${id} points at ${user.callId}`);
      const device = deviceOf(user);
      const grace = this.timers.get(graceTimerKey(id, DEFAULT_DEVICE));
      if (!device) {
        // Only the callee of a REQUEST that may wake it is held without a device (while the business server decides, or while it waits).
        check(user.devices.length === 0 && call?.phase === 'dialing' && call.callee === id && grace === undefined, () => `${where()}: ${id} without a device ${JSON.stringify(user)}`);
      } else if (device.connected) {
        check(grace === undefined && device.graceDeadline === 0, () => `${where()}: ${id} connected with a grace timer`);
      } else {
        check(
          grace !== undefined && grace.at === device.graceDeadline && grace.input.kind === 'grace-expired' && grace.input.sessionId === device.sessionId,
          () => `${where()}: ${id} dropped without its grace timer`,
        );
      }
    }
    for (const [id, call] of this.calls) {
      check(call.caller !== call.callee, () => `${where()}: ${id} calls itself`);
      for (const party of [call.caller, call.callee]) {
        check(this.users.get(party)?.callId === id, () => `${where()}: ${id}'s party ${party} does not point back`);
      }
      const stream = this.streams.get(id);
      check(stream !== undefined && !stream.ended, () => `${where()}: live call ${id} without a live story`);
      const ring = this.timers.get(ringTimerKey(id));
      const wake = this.timers.get(wakeTimerKey(id));
      const ringTimer = ring !== undefined && ring.input.kind === 'ring-expired' && ring.input.callId === id;
      if (call.phase === 'talking') {
        check(call.roomId > 0 && !rooms.has(call.roomId), () => `${where()}: room ${call.roomId} of ${id} is zero or shared`);
        rooms.add(call.roomId);
        check(ring === undefined && wake === undefined, () => `${where()}: talking call ${id} still has a ring or wake timer`);
        check(stream.caller === 'talking' || !this.isIntact(stream, 'caller'), () => `${where()}: talking call ${id}, caller saw ${stream.caller}`);
        check(stream.callee === 'talking' || !this.isIntact(stream, 'callee'), () => `${where()}: talking call ${id}, callee saw ${stream.callee}`);
        continue;
      }
      check(call.roomId === 0, () => `${where()}: ${call.phase} call ${id} has room ${call.roomId}`);
      if (call.phase === 'ringing') {
        check(ringTimer && wake === undefined && call.waking === undefined, () => `${where()}: ringing call ${id} without its ring timer, or still waking`);
        check(stream.callee === 'ringing' && stream.caller === 'ringing', () => `${where()}: ringing call ${id} is not ringing for both`);
        continue;
      }
      check(stream.callee === 'none' && stream.caller === 'none', () => `${where()}: dialing call ${id} told someone`);
      if (call.waking) {
        check(wake !== undefined && wake.at === call.waking.until && wake.input.kind === 'wake-expired', () => `${where()}: waking call ${id} without its wake timer`);
        check(!present(this.users.get(call.callee)), () => `${where()}: ${id} waits for ${call.callee}, who is here`);
      } else {
        check(ringTimer && wake === undefined, () => `${where()}: dialing call ${id} without the ring timer that bounds the business decision`);
      }
    }
    for (const [key, timer] of this.timers) {
      const [kind, id = '', deviceId] = key.split(':');
      const call = this.calls.get(id);
      if (kind === 'ring') check(call !== undefined && call.phase !== 'talking', () => `${where()}: stray ${key}`);
      else if (kind === 'wake') check(call?.waking?.until === timer.at, () => `${where()}: stray ${key}`);
      else check(kind === 'grace' && deviceId === DEFAULT_DEVICE && deviceOf(this.users.get(id))?.connected === false, () => `${where()}: stray ${key}`);
    }
  }

  private isIntact(stream: CallStream, party: 'caller' | 'callee'): boolean {
    return sessionOf(this.users.get(stream.call[party])) === stream.sessions[party];
  }

  // ---- actions ----

  run(action: Action): void {
    switch (action.kind) {
      case 'connect': {
        const userId = USERS[action.user]!;
        const input: CallInput = {
          kind: 'connect',
          userId,
          newSessionId: `s${++this.sessionSeq}`,
          node: 'local',
          connectionId: `c${++this.connectionSeq}`,
        };
        const resume =
          action.resume === 'current'
            ? sessionOf(this.users.get(userId))
            : action.resume === 'stale'
              ? (this.sessions.get(userId)?.[0] ?? 'never')
              : undefined;
        this.apply(resume === undefined ? input : { ...input, resumeSessionId: resume });
        return;
      }
      case 'disconnect': {
        const userId = USERS[action.user]!;
        const device = deviceOf(this.users.get(userId));
        this.apply({
          kind: 'disconnect',
          userId,
          sessionId: device?.sessionId ?? 'none',
          connectionId: device?.connectionId ?? 'none',
          final: action.final,
        });
        return;
      }
      case 'control': {
        const from = USERS[action.user]!;
        const sender = this.users.get(from);
        let peer: string;
        if (action.peer === 'call-peer') {
          const call = sender?.callId ? this.calls.get(sender.callId) : undefined;
          peer = call ? (call.caller === from ? call.callee : call.caller) : USERS[(action.user + 1) % USERS.length]!;
        } else {
          peer = USERS[action.peer] ?? GHOST;
        }
        const current = sessionOf(sender);
        const stale = this.sessions.get(from)?.find((s) => s !== current) ?? 'stale';
        const input: ControlInput = {
          kind: 'control',
          from,
          sessionId: action.staleSession || current === undefined ? stale : current,
          event: VideoCallEvent[action.event] as VideoCallEventType,
          userId: peer,
          errorCode: action.code,
          flags: action.flags,
          param: action.param,
          userStr: action.userStr,
          authorize: action.authorize,
          push: action.push,
          ...(action.withId ? { id: `k${++this.controlSeq}` } : {}),
        };
        this.lastControl.set(from, input);
        this.apply(input);
        return;
      }
      case 'resend': {
        const input = this.lastControl.get(USERS[action.user]!);
        if (input) this.apply(input);
        return;
      }
      case 'ring-expired':
      case 'authorized': {
        // Calls waiting for the business server first, then live calls, then recent ones that are over.
        const live = [...this.calls.values()];
        const ids = [
          ...live.filter((c) => c.phase === 'dialing').map((c) => c.callId),
          ...live.map((c) => c.callId),
          ...[...this.streams.keys()].slice(-2),
        ];
        const callId = ids[action.pick % Math.max(1, ids.length)] ?? 'call-none';
        const push = this.pushOf.get(callId) ?? false;
        this.apply(action.kind === 'ring-expired' ? { kind: 'ring-expired', callId } : { kind: 'authorized', callId, code: action.code, push });
        return;
      }
      case 'grace-expired': {
        const userId = USERS[action.user]!;
        this.apply({ kind: 'grace-expired', userId, sessionId: sessionOf(this.users.get(userId)) ?? 'none' });
        return;
      }
      case 'force-finish':
        this.apply({ kind: 'force-finish', userId: USERS[action.user]!, errorCode: action.code, userStr: 'ended by agent', by: 'business' });
        return;
      case 'advance':
        this.advance(this.now + action.ms);
        return;
    }
  }

  /** Lets the clock run to `until`, firing due timers in order. */
  advance(until: number): void {
    for (;;) {
      let next: [string, { at: number; input: TimerInput }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= until && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.now = Math.max(this.now, next[1].at);
      this.apply(next[1].input);
    }
    this.now = Math.max(this.now, until);
  }

  /** Ends everything: timers run out, the business server ends the calls that are still talking. */
  drain(): void {
    this.advance(this.now + RING_MS + GRACE_MS + OFFLINE_WAIT_MS + 1);
    for (const userId of USERS) {
      if (this.users.get(userId)?.callId) this.apply({ kind: 'force-finish', userId, errorCode: 0, userStr: '', by: 'server' });
    }
    check(this.calls.size === 0, () => `calls left after the drain: ${[...this.calls.keys()]}`);
    for (const [id, stream] of this.streams) check(stream.ended, () => `${id} never ended: ${stream.log.join(' ')}`);
  }
}

describe('call invariants (rule 7)', () => {
  it('hold after every step of random sessions of four users', () => {
    seen.clear();
    fc.assert(
      fc.property(fc.array(actionArb, { minLength: 1, maxLength: 80, size: 'max' }), (actions) => {
        const world = new World();
        for (let i = 0; i < USERS.length; i++) world.run({ kind: 'connect', user: i, resume: 'none' });
        for (const action of actions) world.run(action);
        world.drain();
      }),
      { numRuns: 1000 },
    );
    // The generator must reach every outcome, or the property says little.
    const outcomes: CallOutcome[] = [
      'completed',
      'refused',
      'busy',
      'offline',
      'cancelled',
      'timeout',
      'disconnected',
      'vetoed',
      'force-ended',
      'caller-busy',
      'invalid',
    ];
    const waits = ['waited for a device', 'waited, pushed', 'woke', 'push cancelled'];
    for (const what of [...outcomes, ...waits, 'ringing', 'started', 'START delivered', 'probed', 'control id remembered', 'control re-sent']) {
      expect(seen.get(what) ?? 0, what).toBeGreaterThan(20);
    }
  });
});
