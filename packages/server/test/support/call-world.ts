/**
 * A small in-memory world for the pure call state machine: users with their devices, calls,
 * timers and what each device has received. Every input goes through `decide` and its decision
 * is committed the way the memory backend does (state/memory-backend.ts): records first, then
 * each delivery to the outboxes of the devices it targets, a device's outbox starting afresh with
 * each new session. The clock and ids are injected by hand.
 */
import { expect } from 'vitest';
import { VideoCallEvent, type VideoCallEventType } from '@callgate/protocol';
import { decide } from '../../src/calls/machine.js';
import { snapshotFor } from '../../src/calls/snapshot.js';
import { ringTimerKey } from '../../src/calls/draft.js';
import { targetDevices } from '../../src/state/outbox.js';
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
  type DeliveryTarget,
  type DeviceRecord,
  type Kick,
  type Snapshot,
  type TimerInput,
  type UserRecord,
} from '../../src/calls/types.js';

export const { REQUEST, REPLY, START, FINISH } = VideoCallEvent;
export const T0 = 1_700_000_000_000;
export const RING_MS = 60_000;
export const GRACE_MS = 15_000;
export const OFFLINE_WAIT_MS = 30_000;

export interface Fields {
  errorCode?: number;
  flags?: number;
  param?: number;
  userStr?: string;
  authorize?: boolean;
  /** Whether a push hook can wake a callee with no device. */
  push?: boolean;
  /** The session the control claims; the sending device's own by default. */
  sessionId?: string;
  controlId?: string;
  /** The device that sends the control. */
  device?: string;
}

export interface PendingTimer {
  at: number;
  input: TimerInput;
}

/** Everything a device was sent that is not a call event: its call elsewhere, a wait, its entry, its agent status. */
export type Notice = WithoutTarget<Exclude<Delivery, { event: CallEvent }>>;
type WithoutTarget<D> = D extends unknown ? Omit<D, keyof DeliveryTarget> : never;

type Ended = Extract<CallTransition, { type: 'ended' }>;

/** One device's outbox for its current session. */
interface Inbox {
  sessionId: string;
  events: CallEvent[];
  notices: Notice[];
}

const inboxKey = (userId: string, deviceId: string): string => `${userId}/${deviceId}`;

function noticeOf(delivery: Delivery): Notice | undefined {
  if ('event' in delivery) return undefined;
  const { to: _to, device: _device, except: _except, ...notice } = delivery;
  return notice as Notice;
}

export class CallWorld {
  readonly users = new Map<string, UserRecord>();
  readonly calls = new Map<string, CallRecord>();
  readonly timers = new Map<string, PendingTimer>();
  readonly kicks: Kick[] = [];
  readonly signals: Decision['signals'] = [];
  readonly wakes: Decision['wakes'] = [];
  private readonly inboxes = new Map<string, Inbox>();
  now = T0;
  graceMs = GRACE_MS;
  maxDevices = 5;
  private callSeq = 0;
  private roomSeq = 1000;
  private sessionSeq = 0;
  private connectionSeq = 0;
  last!: Decision;

  ctx(): DecisionContext {
    return {
      now: this.now,
      newCallId: () => `call-${++this.callSeq}`,
      newRoomId: () => ++this.roomSeq,
      ringTimeoutMs: RING_MS,
      newEntryId: () => 'entry',
      queue: () => undefined,
      graceMs: this.graceMs,
      offlineWaitMs: OFFLINE_WAIT_MS,
      maxDevices: this.maxDevices,
    };
  }

  /** What the memory backend would load for `input`. */
  snapshot(input: CallInput): Snapshot {
    return snapshotFor(input, (id) => this.users.get(id), (id) => this.calls.get(id));
  }

  apply(input: CallInput): Decision {
    const decision = decide(this.snapshot(input), input, this.ctx());
    for (const [id, user] of decision.users) this.commitUser(id, user);
    for (const [id, call] of decision.calls) {
      if (call === null) this.calls.delete(id);
      else this.calls.set(id, call);
    }
    for (const delivery of decision.deliveries) this.deliver(delivery);
    for (const change of decision.timers) {
      if ('set' in change) this.timers.set(change.set, { at: change.at, input: change.input });
      else this.timers.delete(change.clear);
    }
    this.kicks.push(...decision.kicks);
    this.signals.push(...decision.signals);
    this.wakes.push(...decision.wakes);
    this.last = decision;
    return decision;
  }

  /** Stores a user; a device that is gone, or that has a new session, loses what was waiting for it. */
  private commitUser(userId: string, user: UserRecord | null): void {
    for (const device of this.users.get(userId)?.devices ?? []) {
      const kept = user?.devices.find((d) => d.deviceId === device.deviceId);
      if (kept?.sessionId !== device.sessionId) this.inboxes.delete(inboxKey(userId, device.deviceId));
    }
    if (user === null) {
      this.users.delete(userId);
      return;
    }
    this.users.set(userId, user);
    for (const device of user.devices) {
      const key = inboxKey(userId, device.deviceId);
      if (this.inboxes.get(key)?.sessionId !== device.sessionId) this.inboxes.set(key, { sessionId: device.sessionId, events: [], notices: [] });
    }
  }

  private deliver(delivery: Delivery): void {
    for (const deviceId of targetDevices(delivery, this.users.get(delivery.to))) {
      const inbox = this.inboxes.get(inboxKey(delivery.to, deviceId));
      if (!inbox) continue;
      if ('event' in delivery) inbox.events.push(delivery.event);
      else inbox.notices.push(noticeOf(delivery)!);
    }
  }

  connect(userId: string, options: { device?: string; resume?: string } = {}): Decision {
    const input: CallInput = {
      kind: 'connect',
      userId,
      ...(options.device !== undefined ? { deviceId: options.device } : {}),
      newSessionId: `s${++this.sessionSeq}-${userId}`,
      node: 'local',
      connectionId: `c${++this.connectionSeq}-${userId}`,
    };
    return this.apply(options.resume === undefined ? input : { ...input, resumeSessionId: options.resume });
  }

  /** The device comes back with its session (a resume). */
  resume(userId: string, deviceId: string = DEFAULT_DEVICE): Decision {
    return this.connect(userId, { device: deviceId, resume: this.device(userId, deviceId).sessionId });
  }

  /** Connects users on their default device. */
  online(...userIds: string[]): void {
    for (const id of userIds) this.connect(id);
  }

  user(userId: string): UserRecord {
    const user = this.users.get(userId);
    if (!user) throw new Error(`${userId} is not here`);
    return user;
  }

  device(userId: string, deviceId: string = DEFAULT_DEVICE): DeviceRecord {
    const device = this.users.get(userId)?.devices.find((d) => d.deviceId === deviceId);
    if (!device) throw new Error(`${userId} has no device ${deviceId}`);
    return device;
  }

  deviceIds(userId: string): string[] {
    return this.users.get(userId)?.devices.map((d) => d.deviceId) ?? [];
  }

  callOf(userId: string): CallRecord | undefined {
    const callId = this.users.get(userId)?.callId ?? null;
    return callId === null ? undefined : this.calls.get(callId);
  }

  control(from: string, event: VideoCallEventType, peer: string, fields: Fields = {}): Decision {
    const device = this.users.get(from)?.devices.find((d) => d.deviceId === (fields.device ?? DEFAULT_DEVICE));
    const input: ControlInput = {
      kind: 'control',
      from,
      sessionId: fields.sessionId ?? device?.sessionId ?? 'no-session',
      event,
      userId: peer,
      errorCode: fields.errorCode ?? 0,
      flags: fields.flags ?? 0,
      param: fields.param ?? 0,
      userStr: fields.userStr ?? '',
      authorize: fields.authorize ?? false,
      ...(fields.push !== undefined ? { push: fields.push } : {}),
    };
    return this.apply(fields.controlId === undefined ? input : { ...input, id: fields.controlId });
  }

  request(from: string, to: string, fields: Fields = {}): Decision {
    return this.control(from, REQUEST, to, fields);
  }

  reply(from: string, to: string, errorCode: number, fields: Fields = {}): Decision {
    return this.control(from, REPLY, to, { ...fields, errorCode });
  }

  finish(from: string, to: string, errorCode = 0, fields: Fields = {}): Decision {
    return this.control(from, FINISH, to, { ...fields, errorCode });
  }

  /** The device's socket goes away: for a grace period, or for good (`final`). */
  drop(userId: string, options: { final?: boolean; device?: string } = {}): Decision {
    const device = this.device(userId, options.device);
    return this.apply({ kind: 'disconnect', userId, sessionId: device.sessionId, connectionId: device.connectionId, final: options.final ?? false });
  }

  leaving(userId: string, deviceId: string = DEFAULT_DEVICE): Decision {
    return this.apply({ kind: 'leaving', userId, sessionId: this.device(userId, deviceId).sessionId });
  }

  moveHere(userId: string, deviceId: string, id?: string): Decision {
    const sessionId = this.device(userId, deviceId).sessionId;
    return this.apply({ kind: 'move-here', from: userId, sessionId, ...(id !== undefined ? { id } : {}) });
  }

  /** Lets the clock reach a pending timer and feeds its input to the machine. */
  fire(key: string): Decision {
    const timer = this.timers.get(key);
    if (!timer) throw new Error(`no timer ${key}`);
    this.timers.delete(key);
    this.now = Math.max(this.now, timer.at);
    return this.apply(timer.input);
  }

  /** A call and its two parties in a state: ringing (A calls B) or talking (B accepted); what they got so far is taken. */
  ringing(caller = 'A', callee = 'B', fields: Fields = {}): CallRecord {
    this.request(caller, callee, fields);
    this.clear(caller, callee);
    const call = this.callOf(caller);
    if (call?.phase !== 'ringing') throw new Error('the call does not ring');
    return call;
  }

  talking(caller = 'A', callee = 'B', fields: Fields = {}, answeredOn: string = DEFAULT_DEVICE): CallRecord {
    this.ringing(caller, callee, fields);
    this.reply(callee, caller, 0, { device: answeredOn });
    this.clear(caller, callee);
    const call = this.callOf(caller);
    if (call?.phase !== 'talking') throw new Error('the call did not start');
    return call;
  }

  /** The call events `userId`'s device received since the last look. */
  take(userId: string, deviceId: string = DEFAULT_DEVICE): CallEvent[] {
    const inbox = this.inboxes.get(inboxKey(userId, deviceId));
    if (!inbox) return [];
    return inbox.events.splice(0);
  }

  /** The other messages (elsewhere, waking, entry, agent) `userId`'s device received since the last look. */
  notices(userId: string, deviceId: string = DEFAULT_DEVICE): Notice[] {
    const inbox = this.inboxes.get(inboxKey(userId, deviceId));
    if (!inbox) return [];
    return inbox.notices.splice(0);
  }

  /** Forgets what every device of these users received so far. */
  clear(...userIds: string[]): void {
    for (const userId of userIds) {
      for (const deviceId of this.deviceIds(userId)) {
        this.take(userId, deviceId);
        this.notices(userId, deviceId);
      }
    }
  }

  ended(): Ended {
    const ends = this.last.transitions.filter((t): t is Ended => t.type === 'ended');
    expect(ends).toHaveLength(1);
    return ends[0]!;
  }
}

export function ev(
  callId: string,
  event: VideoCallEventType,
  userId: string,
  errorCode: number,
  payload: { flags?: number; param?: number; userStr?: string } = {},
): CallEvent {
  return { callId, event, userId, errorCode, flags: payload.flags ?? 0, param: payload.param ?? 0, userStr: payload.userStr ?? '' };
}

export function world(...online: string[]): CallWorld {
  const w = new CallWorld();
  w.online(...online);
  return w;
}

/** Both parties are idle again and may call each other at once. */
export function expectIdle(w: CallWorld, ...userIds: string[]): void {
  for (const id of userIds) expect(w.users.get(id)?.callId ?? null).toBeNull();
}

export function expectNoCall(w: CallWorld, callId: string): void {
  expect(w.calls.has(callId)).toBe(false);
  expect(w.timers.has(ringTimerKey(callId))).toBe(false);
}

export function expectNothingHappened(decision: Decision): void {
  expect(decision.deliveries).toEqual([]);
  expect(decision.users.size).toBe(0);
  expect(decision.calls.size).toBe(0);
  expect(decision.transitions).toEqual([]);
  expect(decision.authorize).toEqual([]);
  expect(decision.kicks).toEqual([]);
  expect(decision.signals).toEqual([]);
  expect(decision.wakes).toEqual([]);
  expect(decision.timers.filter((t) => 'set' in t)).toEqual([]);
}

export const outcomes = (d: Decision): CallOutcome[] => d.transitions.flatMap((t) => (t.type === 'ended' ? [t.outcome] : []));
