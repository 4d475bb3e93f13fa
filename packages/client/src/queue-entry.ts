import { EventEmitter } from 'eventemitter3';
import { ErrorCode, type EntryOutcome, type EntryPosition, type EntryState, type EntryView } from '@callgate/protocol';
import { CallgateError } from './errors.js';
import type { Call } from './call.js';

/** What a customer's `enterQueue` carries to the agent (flags, param and userStr as in a REQUEST). */
export interface EnterQueueOptions {
  flags?: number;
  param?: number;
  userStr?: string;
}

/** The last transfer of an entry: who moved the customer, from which queue, to which queue (and agent). */
export type EntryTransfer = NonNullable<EntryView['transfer']>;

export interface QueueEntryEvents {
  /** Any field changed: state, queue (a transfer), agent, position, ahead, estimate, agents available. */
  update: (entry: QueueEntry) => void;
  /** The call with the agent started (`call.roomId`, media as for any call). */
  call: (call: Call) => void;
  /** The entry is over: served (its call ran and ended), abandoned, timeout or closed. */
  ended: (outcome: EntryOutcome) => void;
}

/** A saved entry (see `CallClient.session`), enough to follow it again in a reloaded page. */
export type EntrySnapshot = EntryView;

/**
 * A customer's place in a queue, from `enterQueue` until the service is over, as the server
 * tells it: numbered entry states (replayed after a resume) and positions (at most one a second).
 */
export class QueueEntry extends EventEmitter<QueueEntryEvents> {
  readonly id: string;
  queue: string;
  state: EntryState;
  outcome: EntryOutcome | undefined;
  /** When the customer first entered (kept across transfers), ms since the epoch, server clock. */
  enteredAt: number;
  /** The call with the agent, once offered. */
  callId: string | undefined;
  /** The agent offered or talking. */
  agent: string | undefined;
  transfer: EntryTransfer | undefined;
  /** While waiting: 1 = next; undefined until the server said, and once an agent took the customer. */
  position: number | undefined;
  ahead: number | undefined;
  estimatedWaitMs: number | undefined;
  agentsAvailable: number | undefined;
  /** The started call with the agent, if any (the last one, after a transfer). */
  call: Call | null = null;
  /** How long the customer has waited: counted on locally between position messages, frozen once answered or ended. */
  private waited: { ms: number; at: number; running: boolean };

  constructor(
    view: EntryView,
    private readonly clock: () => number = Date.now,
    private readonly leaver: () => Promise<void> = () => Promise.reject(new CallgateError(ErrorCode.NOT_CONNECTED)),
  ) {
    super();
    this.id = view.id;
    this.queue = view.queue;
    this.state = view.state;
    this.outcome = view.outcome;
    this.enteredAt = view.enteredAt;
    this.callId = view.callId;
    this.agent = view.agent;
    this.transfer = view.transfer;
    this.waited = { ms: Math.max(0, clock() - view.enteredAt), at: clock(), running: view.state === 'waiting' || view.state === 'offered' };
  }

  /** Milliseconds since the customer entered, until an agent answered (or the entry ended). */
  get waitedMs(): number {
    const { ms, at, running } = this.waited;
    return running ? ms + Math.max(0, this.clock() - at) : ms;
  }

  /**
   * Leaves the queue before an agent took the customer: the entry ends `abandoned` (an offer
   * ringing at an agent is withdrawn). Rejects with NOT_QUEUED once in the call (hang up instead)
   * or over.
   */
  leave(): Promise<void> {
    if (this.state === 'ended') return Promise.reject(new CallgateError(ErrorCode.NOT_QUEUED));
    return this.leaver();
  }

  get isLive(): boolean {
    return this.state !== 'ended';
  }

  /** The entry as the server last described it, e.g. to keep across a page reload. */
  get snapshot(): EntrySnapshot {
    return {
      id: this.id,
      queue: this.queue,
      state: this.state,
      ...(this.outcome !== undefined ? { outcome: this.outcome } : {}),
      enteredAt: this.enteredAt,
      ...(this.callId !== undefined ? { callId: this.callId } : {}),
      ...(this.agent !== undefined ? { agent: this.agent } : {}),
      ...(this.transfer !== undefined ? { transfer: this.transfer } : {}),
    };
  }

  /** Applies a numbered `entry` message about this entry; emits `update`, and `ended` at the end. */
  apply(view: EntryView): void {
    if (view.id !== this.id || this.state === 'ended') return;
    const waiting = view.state === 'waiting' || view.state === 'offered';
    const running = this.waited.running;
    if (running && !waiting) this.waited = { ms: this.waitedMs, at: this.clock(), running: false };
    else if (!running && waiting) this.waited = { ms: Math.max(0, this.clock() - view.enteredAt), at: this.clock(), running: true };
    this.queue = view.queue;
    this.state = view.state;
    this.outcome = view.outcome;
    this.enteredAt = view.enteredAt;
    this.callId = view.callId;
    this.agent = view.agent;
    this.transfer = view.transfer;
    if (view.state !== 'waiting') {
      this.position = undefined;
      this.ahead = undefined;
    }
    this.emit('update', this);
    if (view.state === 'ended') this.emit('ended', view.outcome ?? 'closed');
  }

  /** Emits `update` with what the entry knows now, while it lasts. */
  retell(): void {
    if (this.state !== 'ended') this.emit('update', this);
  }

  /** Applies an `entry.position` message; emits `update` when a field changed. */
  applyPosition(position: EntryPosition): void {
    if (position.entryId !== this.id || this.state === 'ended') return;
    if (this.waited.running) this.waited = { ms: position.waitedMs, at: this.clock(), running: true };
    const changed =
      this.position !== position.position ||
      this.ahead !== position.ahead ||
      this.estimatedWaitMs !== position.estimatedWaitMs ||
      this.agentsAvailable !== position.agentsAvailable;
    this.position = position.position;
    this.ahead = position.ahead;
    this.estimatedWaitMs = position.estimatedWaitMs;
    this.agentsAvailable = position.agentsAvailable;
    if (changed) this.emit('update', this);
  }

  /** The call with the agent started. */
  started(call: Call): void {
    this.call = call;
    this.emit('call', call);
  }

  /** Ends the entry here without the server saying so (its session is gone). */
  end(outcome: EntryOutcome): void {
    if (this.state === 'ended') return;
    this.apply({ ...this.snapshot, state: 'ended', outcome });
  }
}
