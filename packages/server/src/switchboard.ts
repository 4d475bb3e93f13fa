import { randomInt, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ErrorCode } from '@callgate/protocol';
import { decide } from './calls/machine.js';
import { orderedEntryIds } from './queues/entry-ids.js';
import type {
  CallInput,
  CallRecord,
  CallTransition,
  ControlInput,
  ControlResult,
  Decision,
  DecisionContext,
  ForceFinishInput,
} from './calls/types.js';
import { StateUnavailableError, type StateBackend } from './state/backend.js';
import type { EnterQueueInput, QueueClosedInput, QueueInput, QueueLookup, QueueTimerInput, QueueTransition, RouteQueueInput } from './queues/types.js';

/** Decides whether a REQUEST may ring: resolves to 0 to allow or an error code to refuse. */
export type Authorizer = (call: CallRecord) => Promise<number>;

/** What a business server decided about a customer entering a queue. */
export type EntryDecision = { code: number; priority?: number };

/** What a push hook hears: wake the callee's app for this call, or the call it was woken for ended. */
export interface Wake {
  type: 'push' | 'cancelled';
  call: CallRecord;
  at: number;
}

/** Sends a push to a callee with no device (resolves once it was handed on; a failure is logged). */
export type Pusher = (wake: Wake) => Promise<void>;

/** Decides whether a customer may enter a queue (and at which priority), before anything changes. */
export type EntryAuthorizer = (entry: { customer: string; queue: string; flags: number; param: number; userStr: string }) => Promise<EntryDecision>;

export interface SwitchboardOptions {
  backend: StateBackend;
  logger: Logger;
  ringTimeoutMs: number;
  graceMs: number;
  /** How long a REQUEST waits for a callee with no device while a push hook can wake it. */
  offlineWaitMs?: number;
  /** Devices one user may be connected from at once; 1 = a second login replaces the first. Default 5. */
  maxDevices?: number;
  now?: () => number;
  newCallId?: () => string;
  newRoomId?: () => number;
  newEntryId?: () => string;
  /** The queue directory; none by default. */
  queues?: QueueLookup;
}

/** A user's control, as the gateway read it. */
export type Control = Omit<ControlInput, 'kind' | 'authorize' | 'draining' | 'push'>;

/** A contact-centre message of a user's session, as the gateway read it. */
export type QueueControl = Exclude<QueueInput, QueueTimerInput | QueueClosedInput | RouteQueueInput>;

/** What a user's message got: its answer, and what the ack carries. */
export interface Answer {
  result: ControlResult;
  ack?: Decision['ack'];
}

const randomRoomId = (): number => randomInt(1, 0x1_0000_0000);

/**
 * Runs the call state machine against the state backend and hands each decision's outward
 * effects (call transitions, business authorization) to whoever listens.
 */
export class Switchboard {
  private readonly transitionListeners: ((transition: CallTransition) => void)[] = [];
  private readonly queueListeners: ((transition: QueueTransition) => void)[] = [];
  private authorizer: Authorizer | null = null;
  private entryAuthorizer: EntryAuthorizer | null = null;
  private pusher: Pusher | null = null;
  private draining = false;
  private readonly now: () => number;
  private readonly newCallId: () => string;
  private readonly newRoomId: () => number;
  private readonly newEntryId: () => string;
  private readonly queues: QueueLookup;

  constructor(private readonly options: SwitchboardOptions) {
    this.now = options.now ?? Date.now;
    this.newCallId = options.newCallId ?? randomUUID;
    this.newRoomId = options.newRoomId ?? randomRoomId;
    this.newEntryId = options.newEntryId ?? orderedEntryIds(this.now);
    this.queues = options.queues ?? (() => undefined);
    options.backend.onInput((input) => void this.handleQuietly(input));
  }

  onTransition(listener: (transition: CallTransition) => void): void {
    this.transitionListeners.push(listener);
  }

  /** Hears every step of the contact centre (entries, offers, wrap-ups, agent statuses), after the commit. */
  onQueueTransition(listener: (transition: QueueTransition) => void): void {
    this.queueListeners.push(listener);
  }

  /**
   * While an entry authorizer is set, a customer entering a queue waits for its decision: a code
   * other than 0 refuses the entry (nothing changes), a priority replaces the token's.
   */
  setEntryAuthorizer(authorizer: EntryAuthorizer | null): void {
    this.entryAuthorizer = authorizer;
  }

  /** While an authorizer is set, every REQUEST waits for its decision before it rings. */
  setAuthorizer(authorizer: Authorizer | null): void {
    this.authorizer = authorizer;
  }

  /**
   * While a pusher is set, a REQUEST to a user with no device waits (offlineWaitMs) for the user
   * to connect instead of failing OFFLINE at once, and the pusher is asked to wake the user.
   */
  setPusher(pusher: Pusher | null): void {
    this.pusher = pusher;
  }

  /** While draining, every new REQUEST is refused at once with SHUTTING_DOWN; live calls go on. */
  setDraining(draining: boolean): void {
    this.draining = draining;
  }

  async control(control: Control): Promise<ControlResult> {
    try {
      const decision = await this.handle({
        kind: 'control',
        ...control,
        authorize: this.authorizer !== null,
        draining: this.draining,
        push: this.pusher !== null,
      });
      return decision.result;
    } catch (error) {
      if (error instanceof StateUnavailableError) return { ok: false, code: ErrorCode.UNAVAILABLE };
      throw error;
    }
  }

  /** A contact-centre message of a user: its answer (UNAVAILABLE while the state store is away). */
  async queueControl(control: QueueControl): Promise<Answer> {
    try {
      let input: QueueControl = control;
      if (control.kind === 'enter-queue') {
        // A business server is asked only about a queue that exists (the rules refuse the rest).
        const decided = this.queues(control.queue) ? await this.decideEntry(control) : { code: 0 };
        if (decided.code !== 0) return { result: { ok: false, code: decided.code } };
        input = { ...control, draining: this.draining, ...(decided.priority !== undefined ? { priority: decided.priority } : {}) };
      }
      const decision = await this.handle(input);
      return { result: decision.result, ...(decision.ack ? { ack: decision.ack } : {}) };
    } catch (error) {
      if (error instanceof StateUnavailableError) return { result: { ok: false, code: ErrorCode.UNAVAILABLE } };
      throw error;
    }
  }

  async handle(input: CallInput): Promise<Decision> {
    const ctx: DecisionContext = {
      now: this.now(),
      newCallId: this.newCallId,
      newRoomId: this.newRoomId,
      ringTimeoutMs: this.options.ringTimeoutMs,
      graceMs: this.options.graceMs,
      offlineWaitMs: this.options.offlineWaitMs ?? 30_000,
      maxDevices: this.options.maxDevices ?? 5,
      newEntryId: this.newEntryId,
      queue: this.queues,
    };
    const decision = await this.options.backend.transact(input, (snapshot) => decide(snapshot, input, ctx));
    for (const transition of decision.transitions) this.tell(this.transitionListeners, transition);
    for (const transition of decision.queueTransitions) this.tell(this.queueListeners, transition);
    for (const { call, push } of decision.authorize) void this.authorize(call, push);
    for (const wake of decision.wakes) void this.wake(wake);
    return decision;
  }

  /** Tells every listener; one that throws is logged and does not keep the others from hearing (mediasoup's safeEmit). */
  private tell<T extends { type: string }>(listeners: readonly ((transition: T) => void)[], transition: T): void {
    for (const listener of listeners) {
      try {
        listener(transition);
      } catch (error) {
        const listenerOf = 'call' in transition ? 'call' : 'queue';
        this.options.logger.error({ err: error, transition: transition.type }, `a ${listenerOf} transition listener failed`);
      }
    }
  }

  private async decideEntry(control: EnterQueueInput): Promise<EntryDecision> {
    if (!this.entryAuthorizer) return { code: 0 };
    try {
      return await this.entryAuthorizer({ customer: control.from, queue: control.queue, flags: control.flags, param: control.param, userStr: control.userStr });
    } catch {
      return { code: ErrorCode.BUSINESS_UNAVAILABLE };
    }
  }

  /** Ends the call `userId` is in, whatever its phase: resolves to 0, or to the code that refused it (NOTINCALL). */
  async forceFinish(finish: Omit<ForceFinishInput, 'kind'>): Promise<number> {
    const decision = await this.handle({ kind: 'force-finish', ...finish });
    return decision.result.ok ? 0 : decision.result.code;
  }

  /** Feeds a timer or other server-side input; failures are logged, not thrown. */
  async handleQuietly(input: CallInput): Promise<void> {
    try {
      await this.handle(input);
    } catch (error) {
      this.options.logger.error({ err: error, input }, 'call input failed');
    }
  }

  private async wake(wake: Wake): Promise<void> {
    const pusher = this.pusher;
    if (!pusher) return;
    try {
      await pusher(wake);
    } catch (error) {
      this.options.logger.warn({ err: error, callId: wake.call.callId, type: wake.type }, 'the push hook failed');
    }
  }

  private async authorize(call: CallRecord, push: boolean): Promise<void> {
    let code: number;
    try {
      code = this.authorizer ? await this.authorizer(call) : 0;
    } catch {
      code = ErrorCode.BUSINESS_UNAVAILABLE;
    }
    await this.handleQuietly({ kind: 'authorized', callId: call.callId, code, push });
  }
}
