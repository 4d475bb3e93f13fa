/**
 * Rule 7 per device (docs/architecture.md, "Devices"): three users with one to three devices each
 * (four device ids, at most three at once) connecting, dropping, saying they leave, coming back
 * or signing in afresh; REQUESTs, REPLYs and FINISHes from random devices; moves of a started
 * call; business answers, pushes and timers. Every input goes through the pure machine and is
 * committed the way the memory backend does: each delivery reaches the outboxes of the devices it
 * targets, and a device's outbox starts afresh with each new session.
 *
 * After every step, for every session of every device: what it was told of each call is a valid
 * story (REQUEST or REPLY 0, then START, then FINISH; a START without REQUEST only where the call
 * moved or was answered from that very device); when a call ends, no device of either party is
 * left ringing, calling or talking in it; a party gets one START per call unless the call moved;
 * no event reaches anyone who is not a party; a device that takes no part hears `elsewhere` with the
 * truth. And the rules that only devices have: a REQUEST rings every device but those leaving,
 * REPLY or FINISH from a device that takes no part is NOTINCALL, a move goes where it is asked,
 * a device over the limit is refused and changes nothing.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ErrorCode, VideoCallEvent, type VideoCallEventType } from '@callgate/protocol';
import { decide } from '../src/calls/machine.js';
import { snapshotFor } from '../src/calls/snapshot.js';
import { participantOf } from '../src/calls/draft.js';
import { targetDevices } from '../src/state/outbox.js';
import type {
  CallEvent,
  CallInput,
  CallRecord,
  CallTransition,
  Decision,
  DecisionContext,
  Delivery,
  DeviceRecord,
  TimerInput,
  UserRecord,
} from '../src/calls/types.js';

const { REQUEST, REPLY, START, FINISH } = VideoCallEvent;
const USERS = ['u1', 'u2', 'u3'] as const;
const DEVICES = ['d1', 'd2', 'd3', 'd4'] as const;
const MAX_DEVICES = 3;
const RING_MS = 60_000;
const GRACE_MS = 15_000;
const OFFLINE_WAIT_MS = 30_000;

// ---- actions ----

type Action =
  | { kind: 'connect'; user: number; device: number; resume: 'current' | 'stale' | 'none' }
  | { kind: 'disconnect'; user: number; device: number; final: boolean }
  | { kind: 'leaving'; user: number; device: number }
  | {
      kind: 'control';
      user: number;
      /** A device index, or the device taking part in the sender's call (any of its devices when none does). */
      device: number | 'participant';
      event: 'REQUEST' | 'REPLY' | 'FINISH';
      /** An index into USERS, or the sender's call peer. */
      peer: number | 'call-peer';
      code: number;
      authorize: boolean;
      push: boolean;
    }
  /** A user (or one in a started call) moves its call to one of its devices. */
  | { kind: 'move'; user: number | 'talking'; device: number }
  | { kind: 'authorized'; pick: number; code: number }
  | { kind: 'force-finish'; user: number }
  | { kind: 'advance'; ms: number };

const userIndex = fc.nat({ max: USERS.length - 1 });
const deviceIndex = fc.nat({ max: DEVICES.length - 1 });
const sometimes = (weight: number): fc.Arbitrary<boolean> => fc.oneof({ arbitrary: fc.constant(false), weight }, { arbitrary: fc.constant(true), weight: 1 });

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('connect' as const),
      user: userIndex,
      device: deviceIndex,
      resume: fc.constantFrom('current' as const, 'current' as const, 'stale' as const, 'none' as const),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), user: userIndex, device: deviceIndex, final: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leaving' as const), user: userIndex, device: deviceIndex }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('control' as const),
      user: userIndex,
      device: fc.oneof(deviceIndex, fc.constant('participant' as const)),
      event: fc.constant('REQUEST' as const),
      peer: fc.oneof(userIndex, fc.constant('call-peer' as const)),
      code: fc.constant(0),
      authorize: sometimes(4),
      push: sometimes(1),
    }),
  },
  {
    weight: 9,
    arbitrary: fc.record({
      kind: fc.constant('control' as const),
      user: userIndex,
      device: fc.oneof({ weight: 2, arbitrary: fc.constant('participant' as const) }, { weight: 1, arbitrary: deviceIndex }),
      event: fc.constantFrom('REPLY' as const, 'FINISH' as const),
      peer: fc.oneof({ weight: 4, arbitrary: fc.constant('call-peer' as const) }, { weight: 1, arbitrary: userIndex }),
      code: fc.constantFrom(0, 0, ErrorCode.REJECT, ErrorCode.CANCEL, 4242),
      authorize: fc.constant(false),
      push: fc.constant(false),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('move' as const), user: fc.oneof(userIndex, fc.constant('talking' as const)), device: deviceIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('authorized' as const), pick: fc.nat(), code: fc.oneof(fc.constant(0), fc.constant(0), fc.constant(7001)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('force-finish' as const), user: userIndex }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40_000 }) }) },
);

// ---- what each device session has seen of each call ----

/** A device's story of one call: rung, calling (REPLY 0 heard), talking, or done. */
type DeviceState = 'none' | 'ringing' | 'calling' | 'talking' | 'done';

interface DeviceView {
  state: DeviceState;
  /** The call rang while this device was leaving: it was not rung, and may hear the call's end without its start. */
  skipped: boolean;
  /** The phase of the newest `elsewhere` it got about the call, and the device it named. */
  elsewhere?: { phase: string; device: string };
  log: string[];
}

interface CallStory {
  caller: string;
  callee: string;
  ended: boolean;
  /** STARTs each party got, and moves each party made. */
  starts: Map<string, number>;
  moves: Map<string, number>;
}

type Ended = Extract<CallTransition, { type: 'ended' }>;

class Violation extends Error {}

function check(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new Violation(message());
}

const seen = new Map<string, number>();
const count = (what: string): void => {
  seen.set(what, (seen.get(what) ?? 0) + 1);
};

const sessionKey = (userId: string, device: DeviceRecord): string => `${userId}/${device.deviceId}/${device.sessionId}`;
const peerOf = (call: CallRecord, userId: string): string => (userId === call.caller ? call.callee : call.caller);

/** The devices of `user` a delivery reaches, by the outbox rule the backends use. */
function reached(delivery: Delivery, user: UserRecord | undefined): DeviceRecord[] {
  const ids = targetDevices(delivery, user);
  return user?.devices.filter((d) => ids.includes(d.deviceId)) ?? [];
}

class DeviceWorld {
  readonly users = new Map<string, UserRecord>();
  readonly calls = new Map<string, CallRecord>();
  readonly timers = new Map<string, { at: number; input: TimerInput }>();
  /** Per device session, per call: its story. */
  private readonly views = new Map<string, Map<string, DeviceView>>();
  private readonly stories = new Map<string, CallStory>();
  /** Every session each device has had, for stale resumes. */
  private readonly sessions = new Map<string, string[]>();
  private readonly pushOf = new Map<string, boolean>();
  now = 1_000_000;
  private callSeq = 0;
  private sessionSeq = 0;
  private connectionSeq = 0;
  private step = 0;

  private ctx(): DecisionContext {
    return {
      now: this.now,
      newCallId: () => `call-${++this.callSeq}`,
      newRoomId: () => {
        const taken = new Set([...this.calls.values()].map((c) => c.roomId));
        let room = 1;
        while (taken.has(room)) room++;
        return room;
      },
      ringTimeoutMs: RING_MS,
      newEntryId: () => 'entry',
      queue: () => undefined,
      graceMs: GRACE_MS,
      offlineWaitMs: OFFLINE_WAIT_MS,
      maxDevices: MAX_DEVICES,
    };
  }

  private device(userId: string, deviceId: string): DeviceRecord | undefined {
    return this.users.get(userId)?.devices.find((d) => d.deviceId === deviceId);
  }

  private callOf(userId: string): CallRecord | undefined {
    const callId = this.users.get(userId)?.callId ?? null;
    return callId === null ? undefined : this.calls.get(callId);
  }

  private view(userId: string, device: DeviceRecord, callId: string): DeviceView {
    const key = sessionKey(userId, device);
    const byCall = this.views.get(key) ?? new Map<string, DeviceView>();
    this.views.set(key, byCall);
    const view = byCall.get(callId) ?? { state: 'none' as const, skipped: false, log: [] };
    byCall.set(callId, view);
    return view;
  }

  // ---- one step ----

  apply(input: CallInput): Decision {
    this.step++;
    const where = (): string => `step ${this.step} ${JSON.stringify(input)}`;
    const decision = decide(snapshotFor(input, (id) => this.users.get(id), (id) => this.calls.get(id)), input, this.ctx());
    this.checkDeviceRules(input, decision, where);
    const before = new Map(this.users);
    this.commit(decision);
    this.follow(input, decision, before, where);
    this.checkState(where);
    return decision;
  }

  /** What only devices have: the limit, taking part, moves. */
  private checkDeviceRules(input: CallInput, decision: Decision, where: () => string): void {
    const nothingChanged = (): boolean =>
      decision.users.size === 0 && decision.calls.size === 0 && decision.deliveries.length === 0 && decision.kicks.length === 0 && decision.transitions.length === 0;
    if (input.kind === 'connect') {
      const user = this.users.get(input.userId);
      const isNew = user !== undefined && !user.devices.some((d) => d.deviceId === input.deviceId);
      if (isNew && user.devices.length >= MAX_DEVICES) {
        check(JSON.stringify(decision.session) === JSON.stringify({ refused: ErrorCode.TOO_MANY_DEVICES }) && nothingChanged(), () => `${where()}: over the limit ${JSON.stringify(decision)}`);
        count('too many devices');
      } else {
        check(decision.session !== undefined && 'sessionId' in decision.session, () => `${where()}: no session ${JSON.stringify(decision.session)}`);
      }
      const kicked = this.device(input.userId, input.deviceId ?? '');
      const kicks = kicked?.connected && !(isNew && (user?.devices.length ?? 0) >= MAX_DEVICES) ? [kicked.connectionId] : [];
      check(JSON.stringify(decision.kicks.map((k) => k.connectionId)) === JSON.stringify(kicks), () => `${where()}: kicks ${JSON.stringify(decision.kicks)}`);
    }
    if (input.kind === 'control' && input.event !== REQUEST) {
      const sender = this.users.get(input.from);
      const device = sender?.devices.find((d) => d.sessionId === input.sessionId);
      const call = this.callOf(input.from);
      const taking = call && participantOf(call, input.from);
      if (device && call && taking !== undefined && taking !== device.deviceId) {
        check(JSON.stringify(decision.result) === JSON.stringify({ ok: false, code: ErrorCode.NOTINCALL }) && nothingChanged(), () => `${where()}: a device taking no part changed ${JSON.stringify(decision)}`);
        count('NOTINCALL from another device');
      }
    }
    if (input.kind === 'move-here') {
      const device = this.users.get(input.from)?.devices.find((d) => d.sessionId === input.sessionId);
      const call = this.callOf(input.from);
      if (!device) return;
      if (call?.phase !== 'talking') {
        check(!decision.result.ok && decision.result.code === ErrorCode.NOTINCALL && nothingChanged(), () => `${where()}: moved a call that is not talking`);
        return;
      }
      const from = participantOf(call, input.from)!;
      if (from === device.deviceId) {
        check(decision.result.ok && nothingChanged(), () => `${where()}: a move to the same device changed something`);
        return;
      }
      const moved = decision.calls.get(call.callId);
      check(moved !== null && moved !== undefined && participantOf(moved, input.from) === device.deviceId && moved.roomId === call.roomId, () => `${where()}: the call did not move here`);
      const events = decision.deliveries.flatMap((d) => ('event' in d ? [`${d.to}/${d.device}:${d.event.event}:${d.event.errorCode}`] : []));
      const expected = [`${input.from}/${from}:${FINISH}:${ErrorCode.MOVED}`, `${input.from}/${device.deviceId}:${START}:0`];
      check(JSON.stringify(events) === JSON.stringify(expected), () => `${where()}: move delivered ${events}`);
      const peer = peerOf(call, input.from);
      const signals = decision.signals.map((s) => `${s.to}/${s.device}:${s.message.roomId}:${s.message.data.kind}`);
      check(JSON.stringify(signals) === JSON.stringify([`${peer}/${participantOf(call, peer)}:${call.roomId}:moved`]), () => `${where()}: move signals ${signals}`);
      check(decision.transitions.length === 0, () => `${where()}: a move made transitions`);
      count('moved');
    }
  }

  private commit(decision: Decision): void {
    for (const [id, user] of decision.users) {
      if (user === null) {
        this.users.delete(id);
        continue;
      }
      this.users.set(id, user);
      for (const device of user.devices) {
        const key = `${id}/${device.deviceId}`;
        const sessions = this.sessions.get(key) ?? [];
        if (!sessions.includes(device.sessionId)) sessions.push(device.sessionId);
        this.sessions.set(key, sessions);
      }
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

  /** Follows each device's story through the decision's transitions and deliveries. */
  private follow(input: CallInput, decision: Decision, before: ReadonlyMap<string, UserRecord>, where: () => string): void {
    const sender = senderOf(input, before);
    for (const t of decision.transitions) {
      count(t.type === 'ended' ? t.outcome : t.type);
      if (t.type === 'requested' || (t.type === 'ended' && t.endedIn === 'requested')) {
        check(!this.stories.has(t.call.callId), () => `${where()}: call id ${t.call.callId} used twice`);
        this.stories.set(t.call.callId, { caller: t.call.caller, callee: t.call.callee, ended: false, starts: new Map(), moves: new Map() });
        if (input.kind === 'control') this.pushOf.set(t.call.callId, input.push === true);
      }
      if (t.type === 'ringing') this.rang(t.call, decision, where);
      if (t.type === 'ringing' && t.woke) count('woke');
    }
    if (input.kind === 'move-here' && decision.signals.length > 0) {
      const story = this.stories.get(this.callOf(input.from)?.callId ?? '');
      if (story) story.moves.set(input.from, (story.moves.get(input.from) ?? 0) + 1);
    }
    for (const delivery of decision.deliveries) {
      if ('event' in delivery) this.heard(delivery.to, delivery.event, reached(delivery, this.users.get(delivery.to)), sender, where);
      else if ('elsewhere' in delivery) this.toldElsewhere(delivery, where);
    }
    // A callee's device that refused is done: it said so, and hears nothing more.
    if (input.kind === 'control' && input.event === REPLY && input.errorCode !== 0 && sender) {
      const refused = decision.transitions.find((t): t is Ended => t.type === 'ended' && t.outcome === 'refused');
      if (refused) {
        this.view(input.from, sender.device, refused.call.callId).state = 'done';
        count('refused on one device');
      }
    }
    for (const t of decision.transitions) if (t.type === 'ended') this.ended(t, where);
  }

  /** The call rings: every device of the callee but those leaving got its REQUEST (checked in `heard`); those leaving are skipped. */
  private rang(call: CallRecord, decision: Decision, where: () => string): void {
    const callee = this.users.get(call.callee);
    const requests = decision.deliveries.filter((d) => 'event' in d && d.event.event === REQUEST && d.event.callId === call.callId);
    const rung = requests.flatMap((d) => reached(d, callee).map((device) => device.deviceId)).sort();
    const expected = (callee?.devices ?? []).filter((d) => !d.leaving).map((d) => d.deviceId).sort();
    check(JSON.stringify(rung) === JSON.stringify(expected), () => `${where()}: ${call.callId} rang ${rung}, not ${expected}`);
    for (const device of callee?.devices ?? []) {
      if (!device.leaving) continue;
      this.view(call.callee, device, call.callId).skipped = true;
      count('leaving device not rung');
    }
    if (rung.length > 1) count('rang several devices');
  }

  private heard(to: string, event: CallEvent, devices: DeviceRecord[], sender: { userId: string; device: DeviceRecord } | undefined, where: () => string): void {
    const story = this.stories.get(event.callId);
    const what = (): string => `${where()}: ${to} got ${JSON.stringify(event)}`;
    check(story !== undefined && !story.ended, () => `${what()} about an unknown or ended call`);
    check(to === story.caller || to === story.callee, () => `${what()}, not a party of ${story.caller}→${story.callee}`);
    check(event.userId === (to === story.caller ? story.callee : story.caller), () => `${what()}: userId is not the other party`);
    if (event.event === START) story.starts.set(to, (story.starts.get(to) ?? 0) + 1);
    for (const device of devices) {
      const view = this.view(to, device, event.callId);
      const fromHere = sender?.userId === to && sender.device.deviceId === device.deviceId;
      const tale = (): string => `${what()} on ${device.deviceId} in state ${view.state}; story ${view.log.join(' ')}`;
      view.log.push(`${event.event}/${event.errorCode}`);
      view.state = nextState(view, event, to === story.caller, fromHere, tale);
      // A device the call moved to takes part now: what it was told of the call elsewhere is behind it.
      if (event.event === START) delete view.elsewhere;
      if (event.errorCode === ErrorCode.ANSWERED_ELSEWHERE) count('answered elsewhere');
    }
  }

  private toldElsewhere(delivery: Extract<Delivery, { elsewhere: unknown }>, where: () => string): void {
    const { elsewhere } = delivery;
    const story = this.stories.get(elsewhere.callId);
    check(story !== undefined && (delivery.to === story.caller || delivery.to === story.callee), () => `${where()}: elsewhere to a non-party ${JSON.stringify(delivery)}`);
    for (const device of reached(delivery, this.users.get(delivery.to))) {
      check(device.deviceId !== elsewhere.device, () => `${where()}: the device taking part was told it takes part elsewhere`);
      this.view(delivery.to, device, elsewhere.callId).elsewhere = { phase: elsewhere.phase, device: elsewhere.device };
      count('elsewhere');
    }
  }

  /** Rule 7 per device: when a call ends, no device of either party is left thinking it rings, calls or talks. */
  private ended(t: Ended, where: () => string): void {
    const story = this.stories.get(t.call.callId);
    check(story !== undefined && !story.ended, () => `${where()}: unknown call ended`);
    story.ended = true;
    check(!this.calls.has(t.call.callId), () => `${where()}: ${t.call.callId} ended but is still stored`);
    // A REQUEST refused at once never existed for anyone but the caller's device (whose other call, if any, goes on).
    const parties = t.endedIn === 'requested' ? [] : [story.caller, story.callee];
    for (const party of parties) {
      const user = this.users.get(party);
      check(user === undefined || user.callId === null, () => `${where()}: ${party} is not idle after ${t.call.callId}`);
      for (const device of user?.devices ?? []) {
        const view = this.views.get(sessionKey(party, device))?.get(t.call.callId);
        if (!view) continue;
        const tale = (): string => `${where()}: ${t.call.callId} ended ${t.outcome}; ${party}'s ${device.deviceId} is left ${view.state}: ${view.log.join(' ')}`;
        check(view.state === 'none' || view.state === 'done', tale);
        if (view.elsewhere) check(view.elsewhere.phase === 'ended', () => `${tale()}, elsewhere ${view.elsewhere?.phase}`);
      }
      const starts = story.starts.get(party) ?? 0;
      check(starts <= 1 + (story.moves.get(party) ?? 0), () => `${where()}: ${party} got ${starts} STARTs in ${t.call.callId}`);
    }
    // The caller's device taking part, if still in its session, heard one outcome.
    const callerDevice = this.device(t.call.caller, t.call.callerDevice);
    const callerView = callerDevice && this.views.get(sessionKey(t.call.caller, callerDevice))?.get(t.call.callId);
    if (callerView) check(callerView.state === 'done', () => `${where()}: the caller's device has no outcome: ${callerView.log.join(' ')}`);
  }

  /** Consistency of users, devices, calls and timers; the story of every live call on every device. */
  private checkState(where: () => string): void {
    for (const [id, user] of this.users) {
      check(user.devices.length <= MAX_DEVICES, () => `${where()}: ${id} has ${user.devices.length} devices`);
      const call = user.callId === null ? undefined : this.calls.get(user.callId);
      if (user.callId !== null) check(call !== undefined && (call.caller === id || call.callee === id), () => `${where()}: ${id} points at ${user.callId}`);
      if (user.devices.length === 0) check(call?.phase === 'dialing' && call.callee === id, () => `${where()}: ${id} held without a device outside a waiting call`);
      for (const device of user.devices) {
        const grace = this.timers.get(`grace:${id}:${device.deviceId}`);
        if (device.connected) check(grace === undefined && device.graceDeadline === 0, () => `${where()}: ${id}'s ${device.deviceId} connected with a grace timer`);
        else check(grace?.at === device.graceDeadline && grace.input.kind === 'grace-expired' && grace.input.sessionId === device.sessionId, () => `${where()}: ${id}'s ${device.deviceId} dropped without its grace timer`);
      }
    }
    for (const [callId, call] of this.calls) {
      for (const party of [call.caller, call.callee]) {
        const user = this.users.get(party);
        check(user?.callId === callId, () => `${where()}: ${callId}'s party ${party} does not point back`);
        const taking = participantOf(call, party);
        if (taking !== undefined) check(user.devices.some((d) => d.deviceId === taking), () => `${where()}: ${callId} is taken part in by ${party}'s gone device ${taking}`);
        for (const device of user.devices) this.checkLiveView(call, party, device, where);
      }
    }
    for (const [key, timer] of this.timers) {
      const [kind, id = '', deviceId = ''] = key.split(':');
      if (kind === 'grace') check(this.device(id, deviceId)?.connected === false, () => `${where()}: stray ${key}`);
      else if (kind === 'wake') check(this.calls.get(id)?.waking?.until === timer.at, () => `${where()}: stray ${key}`);
      else check(this.calls.get(id) !== undefined && this.calls.get(id)?.phase !== 'talking', () => `${where()}: stray ${key}`);
    }
  }

  /** What a device shows of a live call must be true: rung while it rings, talking only where it takes part. */
  private checkLiveView(call: CallRecord, party: string, device: DeviceRecord, where: () => string): void {
    const view = this.views.get(sessionKey(party, device))?.get(call.callId);
    const state = view?.state ?? 'none';
    const taking = participantOf(call, party);
    const tale = (): string => `${where()}: ${call.phase} ${call.callId}, ${party}'s ${device.deviceId} (taking part: ${taking}) shows ${state}: ${view?.log.join(' ')}`;
    if (state === 'talking') check(call.phase === 'talking' && taking === device.deviceId, tale);
    if (state === 'calling') check(call.phase === 'ringing' && party === call.caller && taking === device.deviceId, tale);
    if (state === 'ringing') check(call.phase === 'ringing' && party === call.callee, tale);
    if (call.phase === 'ringing' && party === call.callee) check(state === 'ringing' || view?.skipped === true, tale);
    if (call.phase === 'talking' && taking === device.deviceId) check(state === 'talking', tale);
    if (view?.elsewhere && taking !== undefined && taking !== device.deviceId) {
      check(view.elsewhere.phase === call.phase && view.elsewhere.device === taking, () => `${tale()}; elsewhere says ${JSON.stringify(view.elsewhere)}`);
    }
  }

  // ---- actions ----

  run(action: Action): void {
    switch (action.kind) {
      case 'connect': {
        const userId = USERS[action.user]!;
        const deviceId = DEVICES[action.device]!;
        const sessions = this.sessions.get(`${userId}/${deviceId}`) ?? [];
        const resume = action.resume === 'current' ? this.device(userId, deviceId)?.sessionId : action.resume === 'stale' ? sessions[0] : undefined;
        this.apply({
          kind: 'connect',
          userId,
          deviceId,
          newSessionId: `s${++this.sessionSeq}`,
          node: 'local',
          connectionId: `c${++this.connectionSeq}`,
          ...(resume !== undefined ? { resumeSessionId: resume } : {}),
        });
        return;
      }
      case 'disconnect': {
        const userId = USERS[action.user]!;
        const device = this.device(userId, DEVICES[action.device]!);
        if (device) this.apply({ kind: 'disconnect', userId, sessionId: device.sessionId, connectionId: device.connectionId, final: action.final });
        return;
      }
      case 'leaving': {
        const userId = USERS[action.user]!;
        const device = this.device(userId, DEVICES[action.device]!);
        if (device) this.apply({ kind: 'leaving', userId, sessionId: device.sessionId });
        return;
      }
      case 'control': {
        const from = USERS[action.user]!;
        const sender = this.users.get(from);
        const call = this.callOf(from);
        const taking = call && participantOf(call, from);
        const deviceId = action.device === 'participant' ? (taking ?? sender?.devices[this.step % Math.max(1, sender.devices.length)]?.deviceId) : DEVICES[action.device];
        const device = deviceId === undefined ? undefined : this.device(from, deviceId);
        if (!device) return;
        const peer = action.peer === 'call-peer' ? (call ? peerOf(call, from) : USERS[(action.user + 1) % USERS.length]!) : USERS[action.peer]!;
        this.apply({
          kind: 'control',
          from,
          sessionId: device.sessionId,
          event: VideoCallEvent[action.event] as VideoCallEventType,
          userId: peer,
          errorCode: action.code,
          flags: 0,
          param: 0,
          userStr: '',
          authorize: action.authorize,
          push: action.push,
        });
        return;
      }
      case 'move': {
        const talking = [...this.calls.values()].filter((c) => c.phase === 'talking').flatMap((c) => [c.caller, c.callee]);
        const userId = action.user === 'talking' ? talking[action.device % Math.max(1, talking.length)] : USERS[action.user];
        const device = userId === undefined ? undefined : this.users.get(userId)?.devices[action.device % MAX_DEVICES];
        if (userId === undefined) return;
        if (device) this.apply({ kind: 'move-here', from: userId, sessionId: device.sessionId });
        return;
      }
      case 'authorized': {
        const dialing = [...this.calls.values()].filter((c) => c.phase === 'dialing');
        const call = dialing[action.pick % Math.max(1, dialing.length)];
        if (call) this.apply({ kind: 'authorized', callId: call.callId, code: action.code, push: this.pushOf.get(call.callId) ?? false });
        return;
      }
      case 'force-finish':
        this.apply({ kind: 'force-finish', userId: USERS[action.user]!, errorCode: 0, userStr: '', by: 'business' });
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

  /** Ends everything, then checks that no device is left in any call. */
  drain(): void {
    this.advance(this.now + RING_MS + GRACE_MS + OFFLINE_WAIT_MS + 1);
    for (const userId of USERS) if (this.users.get(userId)?.callId) this.apply({ kind: 'force-finish', userId, errorCode: 0, userStr: '', by: 'server' });
    check(this.calls.size === 0, () => `calls left after the drain: ${[...this.calls.keys()]}`);
    for (const [callId, story] of this.stories) check(story.ended, () => `${callId} never ended`);
    // Every session still here (a gone session's outbox is gone with it).
    for (const user of this.users.values()) {
      for (const device of user.devices) {
        const key = sessionKey(user.userId, device);
        for (const [callId, view] of this.views.get(key) ?? []) check(view.state === 'none' || view.state === 'done', () => `${key} is left ${view.state} in ${callId}: ${view.log.join(' ')}`);
      }
    }
  }
}

/** The device whose message the input is (a control or a move), as it was before the decision. */
function senderOf(input: CallInput, users: ReadonlyMap<string, UserRecord>): { userId: string; device: DeviceRecord } | undefined {
  if (input.kind !== 'control' && input.kind !== 'move-here') return undefined;
  const device = users.get(input.from)?.devices.find((d) => d.sessionId === input.sessionId);
  return device && { userId: input.from, device };
}

/**
 * One device's story: a callee's device rings on REQUEST, a caller's calls on REPLY 0; START
 * follows either, or comes to the device that asked for it (a move here, even after that device
 * heard the call end for it; an answer from a device that was not rung); FINISH or a refusal ends
 * it. A device that was not rung because it was leaving may hear the end alone.
 */
function nextState(view: DeviceView, event: CallEvent, isCaller: boolean, fromHere: boolean, tale: () => string): DeviceState {
  const { state } = view;
  switch (event.event) {
    case REQUEST:
      check(!isCaller && state === 'none', tale);
      return 'ringing';
    case REPLY:
      check(isCaller && (state === 'none' || (state === 'calling' && event.errorCode !== 0)), tale);
      return event.errorCode === 0 ? 'calling' : 'done';
    case START:
      check(state === (isCaller ? 'calling' : 'ringing') || (state !== 'talking' && fromHere), tale);
      return 'talking';
    case FINISH:
      check(state !== 'done' && (state !== 'none' || isCaller || view.skipped), tale);
      return 'done';
    default:
      throw new Violation(`${tale()}: no such event`);
  }
}

describe('device invariants (rule 7 per device)', () => {
  it('hold after every step of random sessions of three users on one to three devices', () => {
    seen.clear();
    fc.assert(
      fc.property(fc.array(actionArb, { minLength: 1, maxLength: 80, size: 'max' }), (actions) => {
        const world = new DeviceWorld();
        // The last user starts with no device: calls to it wait, or are OFFLINE, until it comes.
        for (let user = 0; user < USERS.length - 1; user++) world.run({ kind: 'connect', user, device: user, resume: 'none' });
        for (const action of actions) world.run(action);
        world.drain();
      }),
      { numRuns: 1000 },
    );
    // The generator must reach what the property is about, or it says little.
    const reached = [
      'rang several devices',
      'answered elsewhere',
      'refused on one device',
      'NOTINCALL from another device',
      'moved',
      'too many devices',
      'leaving device not rung',
      'elsewhere',
      'woke',
      'started',
      'completed',
      'disconnected',
      'offline',
      'timeout',
      'cancelled',
    ];
    console.log(JSON.stringify([...seen]));
    for (const what of reached) expect(seen.get(what) ?? 0, what).toBeGreaterThan(20);
  });
});
