import {
  ErrorCode,
  VideoCallEvent,
  type AgentState,
  type ContactCentreServerMessage,
  type EntryView,
  type EventMessage,
  type WelcomeMessage,
} from '@callgate/protocol';
import { AgentDesk, type AgentStatusSetting, type TransferTarget, type WrapUpOptions } from './agent-desk.js';
import { Call, type ControlSender } from './call.js';
import { CentreRequests } from './centre-requests.js';
import type { SignalConnection } from './connection.js';
import { CallgateError } from './errors.js';
import { QueueBoard } from './queue-board.js';
import { QueueEntry, type EnterQueueOptions, type EntrySnapshot } from './queue-entry.js';

/** A queue a customer may choose, as `listQueues` gives it. */
export interface QueueChoice {
  id: string;
  name: string;
  mode: 'auto' | 'manual';
  /** Seconds an offer rings at an agent. */
  offerTimeout?: number;
  /** Seconds of wrap-up after a served call (0: none). */
  wrapUp?: number;
  /** For agents and supervisors: how many customers wait now. */
  waiting?: number;
}

/** A customer's rating of a served queue call: score 1–5 and an optional comment. */
export interface CallRating {
  score: number;
  comment?: string;
}

/** What the contact centre needs from the CallClient around it. */
export interface CentreHost {
  sendControl: ControlSender;
  /** Runs application code (listeners) without letting it break the SDK. */
  invoke(fn: () => void): void;
  agentStatus(state: AgentState): void;
}

/**
 * The contact centre in the client SDK (docs/contact-centre.md): a customer's queue entry, an
 * agent's desk, a supervisor's board, and the requests behind them, over the client's connection.
 * Queue calls are ordinary Calls; the ones that start without a REQUEST (the customer's, and the
 * agent's "next customer") are made here when their START arrives.
 */
export class ContactCentre {
  readonly requests: CentreRequests;
  readonly desk: AgentDesk;
  private entry: QueueEntry | null = null;
  private board: QueueBoard | null = null;
  /** Entries whose `enterQueue` waits for their first `entry` message. */
  private readonly entering = new Map<string, (entry: QueueEntry) => void>();
  /** Queue calls that started without a REQUEST, by call id, while live. */
  private readonly started = new Map<string, Call>();
  /** `nextCustomer` answers whose START has not come yet, by call id. */
  private readonly taking = new Map<string, (call: Call) => void>();
  private sessions = 0;

  constructor(
    private readonly connection: SignalConnection,
    private readonly host: CentreHost,
  ) {
    this.requests = new CentreRequests(connection);
    this.desk = new AgentDesk(this.requests, (state) => host.agentStatus(state));
    connection.on('contact-centre', (message) => this.received(message));
    connection.on('welcome', (welcome) => this.welcomed(welcome));
    connection.on('closed', () => {
      this.endEntry('abandoned');
      this.desk.offline(Date.now());
      this.sessions = 0;
    });
  }

  /** The customer's entry while it lasts. */
  get currentEntry(): QueueEntry | null {
    return this.entry?.isLive ? this.entry : null;
  }

  /** Follows an entry saved before a page reload (see CallClient's `resume` option). */
  restore(snapshot: EntrySnapshot | undefined): void {
    this.sessions = 1;
    if (snapshot && snapshot.state !== 'ended') this.entry = this.newEntry(snapshot);
  }

  async enterQueue(queue: string, options: EnterQueueOptions = {}): Promise<QueueEntry> {
    const ack = await this.requests.send({
      type: 'queue.enter',
      queue,
      flags: options.flags ?? 0,
      param: options.param ?? 0,
      userStr: options.userStr ?? '',
    });
    const entryId = ack.type === 'ack' ? ack.entryId : undefined;
    if (entryId === undefined) throw new CallgateError(ErrorCode.INTERNAL, 'the server took the entry without naming it');
    const entry = this.entry?.id === entryId ? this.entry : await new Promise<QueueEntry>((resolve) => this.entering.set(entryId, resolve));
    // A position that came before this promise resolved reached no listener of the app's: tell it
    // again just after, so that `entry.on('update', …)` right after the await hears where it stands.
    if (entry.position !== undefined) setTimeout(() => entry.retell(), 0);
    return entry;
  }

  async leaveQueue(): Promise<void> {
    await this.requests.send({ type: 'queue.leave' });
  }

  async rateCall(callId: string, rating: CallRating): Promise<void> {
    await this.requests.send({ type: 'call.rate', callId, score: rating.score, comment: rating.comment ?? '' });
  }

  async listQueues(): Promise<QueueChoice[]> {
    const answer = await this.requests.send({ type: 'queues.list' });
    return answer.type === 'queues.list' ? answer.queues : [];
  }

  setAgentStatus(status: AgentStatusSetting, options?: { reason?: string }): Promise<void> {
    return this.desk.setStatus(status, options);
  }

  endWrapUp(options?: WrapUpOptions): Promise<void> {
    return this.desk.endWrapUp(options);
  }

  /** Manual mode: the call with the customer taken, or null when nobody waits. */
  async nextCustomer(current: () => Call | null): Promise<Call | null> {
    const ack = await this.requests.send({ type: 'agent.next' });
    if (ack.type !== 'ack' || ack.empty) return null;
    // A re-sent request (after a resume) is answered without the call id: the call is the live one.
    if (ack.callId === undefined) return current();
    const known = this.started.get(ack.callId);
    if (known) return known;
    const callId = ack.callId;
    return new Promise((resolve) => this.taking.set(callId, resolve));
  }

  /** Starts watching the queues (supervisors); a new watch closes the previous one. */
  watchQueues(): QueueBoard {
    this.board?.close();
    this.board = new QueueBoard(this.connection);
    return this.board;
  }

  /**
   * The Call of a queue call that starts without a REQUEST: at the customer (its entry's call)
   * and at an agent that took the customer with `nextCustomer`. Empty for any other event.
   */
  callsFor(event: EventMessage): Call[] {
    if (event.event !== VideoCallEvent.START || this.started.has(event.callId)) return [];
    const entry = this.entry;
    const ofEntry = entry?.isLive === true && entry.callId === event.callId;
    const request = { callId: event.callId, flags: event.flags, param: event.param, userStr: event.userStr };
    const call = ofEntry
      ? new Call(this.host.sendControl, event.userId, 'outgoing', request)
      : new Call(this.host.sendControl, event.userId, 'incoming', { ...request, ...(event.queue !== undefined ? { queue: event.queue } : {}) }, this.desk);
    this.started.set(event.callId, call);
    call.once('ended', () => this.started.delete(event.callId));
    call.once('started', () => {
      if (ofEntry) this.host.invoke(() => entry.started(call));
      const taken = this.taking.get(event.callId);
      this.taking.delete(event.callId);
      taken?.(call);
    });
    return [call];
  }

  /** The desk that transfers an agent's queue calls (for the Calls CallClient makes). */
  get transfers(): { transfer(target: TransferTarget): Promise<void> } {
    return this.desk;
  }

  private received(message: ContactCentreServerMessage): void {
    switch (message.type) {
      case 'entry':
        this.entryChanged(message.entry);
        return;
      case 'entry.position':
        if (this.entry?.id === message.entryId) {
          const entry = this.entry;
          this.host.invoke(() => entry.applyPosition(message));
        }
        return;
      case 'agent': {
        const { type: _type, seq: _seq, ...state } = message;
        this.desk.apply(state);
        return;
      }
      default:
        return;
    }
  }

  private entryChanged(view: EntryView): void {
    let entry = this.entry;
    if (entry?.id !== view.id) {
      if (entry?.isLive) this.host.invoke(() => entry?.end('abandoned'));
      entry = this.newEntry({ ...view, state: view.state === 'ended' ? 'waiting' : view.state });
      this.entry = entry;
    }
    const current = entry;
    this.host.invoke(() => current.apply(view));
    const waiter = this.entering.get(view.id);
    this.entering.delete(view.id);
    waiter?.(current);
  }

  private newEntry(view: EntryView): QueueEntry {
    return new QueueEntry(view, Date.now, () => this.leaveQueue());
  }

  private welcomed(welcome: WelcomeMessage): void {
    // A new session: the server ended the old one's entry (the customer did not come back in time).
    if (!welcome.resumed && this.sessions > 0) this.endEntry('abandoned');
    this.sessions++;
  }

  private endEntry(outcome: 'abandoned'): void {
    const entry = this.entry;
    if (entry?.isLive) this.host.invoke(() => entry.end(outcome));
  }
}
