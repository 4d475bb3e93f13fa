import { VideoCallEvent, type EntryOutcome, type VideoCallEventType } from '@callgate/protocol';
import type { EntryRecord, QueueView } from '../queues/types.js';
import { agentStateOf, entryViewOf } from '../queues/views.js';
import type {
  CallEvent,
  CallOutcome,
  CallPhase,
  CallRecord,
  CallStep,
  ControlResult,
  Decision,
  DecisionContext,
  Snapshot,
  TimerChange,
  TimerInput,
  UserRecord,
} from './types.js';

export const ringTimerKey = (callId: string): string => `ring:${callId}`;
export const graceTimerKey = (userId: string, deviceId: string): string => `grace:${userId}:${deviceId}`;
export const wakeTimerKey = (callId: string): string => `wake:${callId}`;

/** What an event carries beside its type and code. */
export interface Payload {
  flags: number;
  param: number;
  userStr: string;
}

export const emptyPayload: Payload = { flags: 0, param: 0, userStr: '' };

/** What the caller gets with a refusal the server makes: the request's flags and param, no text. */
export const echoOf = (call: CallRecord): Payload => ({ flags: call.flags, param: call.param, userStr: '' });

/** The step an event makes: `event` with `errorCode` and `payload`, from one party to the other. */
export function stepOf(event: VideoCallEventType, from: string, to: string, errorCode: number, payload: Payload): CallStep {
  return { event, from, to, errorCode, ...payload };
}

/** The REQUEST that opened `call`, as its caller sent it. */
export const requestStepOf = (call: CallRecord): CallStep =>
  stepOf(VideoCallEvent.REQUEST, call.caller, call.callee, 0, { flags: call.flags, param: call.param, userStr: call.userStr });

export interface Ending {
  outcome: CallOutcome;
  endedBy: string;
  /** The event that ended the call, as the business server hears it. */
  step: CallStep;
  /** When the talk really ended, if before now: the departed party's last sign of life (rule 5). */
  talkEndedAt?: number;
}

/** Told whenever a decision ends a call, after the call is gone (the contact centre listens). */
export type EndListener = (draft: DecisionDraft, call: CallRecord, ending: Ending) => void;

const noQueues: QueueView = { entry: () => undefined, line: () => [], lineLength: () => 0, available: () => [] };

/**
 * A decision being made: reads see earlier writes of the same decision, and every effect is
 * collected for the caller to perform. No I/O.
 */
export class DecisionDraft {
  readonly decision: Decision = {
    users: new Map(),
    calls: new Map(),
    entries: new Map(),
    deliveries: [],
    timers: [],
    transitions: [],
    queueTransitions: [],
    authorize: [],
    kicks: [],
    signals: [],
    wakes: [],
    result: { ok: true },
  };

  constructor(
    private readonly snapshot: Snapshot,
    readonly ctx: DecisionContext,
    private readonly onEnd: EndListener = () => {},
  ) {}

  /** The contact centre's indexes as they were read; entries and users written since take precedence. */
  get queues(): QueueView {
    return this.snapshot.queues ?? noQueues;
  }

  entry(entryId: string | undefined): EntryRecord | undefined {
    if (entryId === undefined) return undefined;
    const written = this.decision.entries.get(entryId);
    if (written !== undefined) return written ?? undefined;
    return this.queues.entry(entryId);
  }

  putEntry(entry: EntryRecord): void {
    this.decision.entries.set(entry.entryId, entry);
  }

  removeEntry(entryId: string): void {
    this.decision.entries.set(entryId, null);
  }

  /** Tells the customer its entry's new state (numbered, like its call events). */
  deliverEntry(entry: EntryRecord, outcome?: EntryOutcome): void {
    if (!this.user(entry.customer)) return;
    this.decision.deliveries.push({ to: entry.customer, entry: entryViewOf(entry, outcome) });
  }

  /** Tells an agent its status. */
  deliverAgent(user: UserRecord): void {
    if (user.agent) this.decision.deliveries.push({ to: user.userId, agent: agentStateOf(user.agent) });
  }

  user(userId: string): UserRecord | undefined {
    const written = this.decision.users.get(userId);
    if (written !== undefined) return written ?? undefined;
    return this.snapshot.users.get(userId);
  }

  call(callId: string | null): CallRecord | undefined {
    if (callId === null) return undefined;
    const written = this.decision.calls.get(callId);
    if (written !== undefined) return written ?? undefined;
    return this.snapshot.calls.get(callId);
  }

  callOf(userId: string): CallRecord | undefined {
    return this.call(this.user(userId)?.callId ?? null);
  }

  putUser(user: UserRecord): void {
    this.decision.users.set(user.userId, user);
  }

  removeUser(userId: string): void {
    this.decision.users.set(userId, null);
  }

  putCall(call: CallRecord): void {
    this.decision.calls.set(call.callId, call);
  }

  fail(code: number, message?: string): void {
    this.decision.result = message === undefined ? { ok: false, code } : { ok: false, code, message };
  }

  result(result: ControlResult): void {
    this.decision.result = result;
  }

  /**
   * Sends `event` about `call` to `to`, naming the other party; only to users who are still here.
   * It goes to the device of `to` that takes part in the call (the caller's that sent the
   * REQUEST, the callee's that answered), or to every device of the callee while several ring.
   * The customer of a queue call hears no REQUEST or REPLY: its entry's state tells it instead.
   */
  deliver(call: CallRecord, to: string, event: VideoCallEventType, errorCode: number, payload: Payload, target: { device?: string; except?: string } = {}): void {
    if (!this.user(to)) return;
    if (call.entryId !== undefined && to === call.caller && (event === VideoCallEvent.REQUEST || event === VideoCallEvent.REPLY)) return;
    const peer = to === call.caller ? call.callee : call.caller;
    const message: CallEvent = { callId: call.callId, event, userId: peer, errorCode, ...payload };
    // The agent of a queue call learns the queue from the call's first event (REQUEST, or START when it took the customer itself).
    if (call.queue !== undefined && to === call.callee && (event === VideoCallEvent.REQUEST || event === VideoCallEvent.START)) message.queue = call.queue;
    const device = target.device ?? (target.except === undefined ? participantOf(call, to) : undefined);
    this.decision.deliveries.push({ to, ...(device !== undefined ? { device } : {}), ...(target.except !== undefined ? { except: target.except } : {}), event: message });
  }

  /** Tells `userId`'s devices that do not take part in its call what the call is (so every device shows the truth). */
  tellElsewhere(call: CallRecord, userId: string, phase: 'dialing' | 'ringing' | 'talking' | 'ended'): void {
    const user = this.user(userId);
    const device = participantOf(call, userId);
    if (!user || user.devices.length < 2 || device === undefined) return;
    const direction = userId === call.caller ? ('outgoing' as const) : ('incoming' as const);
    const peer = userId === call.caller ? call.callee : call.caller;
    this.decision.deliveries.push({ to: userId, except: device, elsewhere: { callId: call.callId, userId: peer, direction, phase, device } });
  }

  setTimer(key: string, at: number, input: TimerInput): void {
    this.changeTimer(key, { set: key, at, input });
  }

  clearTimer(key: string): void {
    this.changeTimer(key, { clear: key });
  }

  /** A decision keeps only the last change of each timer: that change alone says how it ends up. */
  private changeTimer(key: string, change: TimerChange): void {
    const timers = this.decision.timers;
    const earlier = timers.findIndex((t) => ('set' in t ? t.set : t.clear) === key);
    if (earlier >= 0) timers.splice(earlier, 1);
    timers.push(change);
  }

  /** Moves a call to a new phase and stores it. */
  advance(call: CallRecord, phase: CallPhase, changes: Partial<CallRecord> = {}): CallRecord {
    const next = { ...call, ...changes, phase };
    this.putCall(next);
    return next;
  }

  /** Ends a live call: frees both parties, forgets the call and its timer, reports the outcome. */
  end(call: CallRecord, ending: Ending): void {
    for (const party of [call.caller, call.callee]) {
      const user = this.user(party);
      if (!user || user.callId !== call.callId) continue;
      // A callee held only for the wait (no device ever came) is gone with the call.
      if (user.devices.length === 0) this.removeUser(party);
      else this.putUser({ ...user, callId: null });
    }
    if (call.waking?.pushed) this.decision.wakes.push({ type: 'cancelled', call, at: this.ctx.now });
    this.decision.calls.set(call.callId, null);
    this.clearTimer(ringTimerKey(call.callId));
    this.clearTimer(wakeTimerKey(call.callId));
    this.tellElsewhere(call, call.caller, 'ended');
    this.tellElsewhere(call, call.callee, 'ended');
    this.decision.transitions.push({
      type: 'ended',
      call,
      at: this.ctx.now,
      step: ending.step,
      outcome: ending.outcome,
      endedBy: ending.endedBy,
      endedIn: call.phase,
      ...(ending.talkEndedAt !== undefined && call.phase === 'talking' ? { talkEndedAt: ending.talkEndedAt } : {}),
    });
    this.onEnd(this, call, ending);
  }

  /** FINISH to both parties (only the caller while the callee has not been told yet, i.e. while dialing). */
  finishBoth(call: CallRecord, errorCode: number, payload: Payload): void {
    this.deliver(call, call.caller, VideoCallEvent.FINISH, errorCode, payload);
    if (call.phase !== 'dialing') this.deliver(call, call.callee, VideoCallEvent.FINISH, errorCode, payload);
  }
}

/** The call-event deliveries of a decision (beside its entry and agent messages). */
export function callDeliveries(decision: Pick<Decision, 'deliveries'>): { to: string; event: CallEvent }[] {
  return decision.deliveries.flatMap((delivery) => ('event' in delivery ? [delivery] : []));
}

/** The device of `userId` that takes part in `call`: undefined for a callee whose devices all ring. */
export function participantOf(call: CallRecord, userId: string): string | undefined {
  return userId === call.caller ? call.callerDevice : call.calleeDevice;
}
