import type { EventMessage, PresenceEntry, SignalDeliveryMessage } from '@callgate/protocol';
import type { CallInput, CallRecord, Decision, Snapshot, TimerChange, UserRecord } from '../calls/types.js';
import { snapshotFor } from '../calls/snapshot.js';
import { presenceChanges, presenceEntry, type DeliveryListeners, type InputListener, type StateBackend } from './backend.js';
import { Outbox } from './outbox.js';

export interface MemoryBackendOptions {
  /** Events kept per session for resume. */
  outboxCapacity?: number;
}

const noDelivery: DeliveryListeners = { events() {}, kick() {} };

/**
 * State in this process. Every transaction runs from read to commit without yielding, so
 * decisions are atomic without locks.
 */
export class MemoryStateBackend implements StateBackend {
  readonly node = 'local';
  readonly shared = false;
  private readonly users = new Map<string, UserRecord>();
  private readonly calls = new Map<string, CallRecord>();
  private readonly rooms = new Map<number, string>();
  private readonly outboxes = new Map<string, Outbox>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly outboxCapacity: number;
  private delivery = noDelivery;
  private inputListener: InputListener = () => {};
  private closed = false;

  constructor(options: MemoryBackendOptions = {}) {
    this.outboxCapacity = options.outboxCapacity ?? 64;
  }

  listen(listeners: DeliveryListeners): void {
    this.delivery = listeners;
  }

  onInput(listener: InputListener): void {
    this.inputListener = listener;
  }

  async transact(input: CallInput, decide: (snapshot: Snapshot) => Decision): Promise<Decision> {
    for (;;) {
      const decision = decide(this.snapshot(input));
      if (this.roomTaken(decision)) continue;
      this.commit(decision);
      return decision;
    }
  }

  async eventsAfter(userId: string, sessionId: string, afterSeq: number): Promise<EventMessage[] | undefined> {
    const outbox = this.outboxes.get(userId);
    return outbox?.sessionId === sessionId ? outbox.after(afterSeq) : undefined;
  }

  async ready(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  async inspect(userId: string): Promise<{ user?: UserRecord; call?: CallRecord }> {
    const user = this.users.get(userId);
    const call = user?.callId ? this.calls.get(user.callId) : undefined;
    return { ...(user ? { user } : {}), ...(call ? { call } : {}) };
  }

  async userRecords(userIds: readonly string[]): Promise<(UserRecord | undefined)[]> {
    return userIds.map((userId) => this.users.get(userId));
  }

  async liveCalls(): Promise<CallRecord[]> {
    return [...this.calls.values()];
  }

  async presence(userIds: readonly string[]): Promise<PresenceEntry[]> {
    return userIds.map((userId) => presenceEntry(userId, this.users.get(userId)));
  }

  async presenceByRole(role: string): Promise<PresenceEntry[]> {
    return [...this.users.values()].filter((user) => user.role === role).map((user) => presenceEntry(user.userId, user));
  }

  async sendSignal(userId: string, _node: string, message: SignalDeliveryMessage): Promise<void> {
    this.delivery.signal?.(userId, message);
  }

  private snapshot(input: CallInput): Snapshot {
    return snapshotFor(input, (id) => this.users.get(id), (id) => this.calls.get(id));
  }

  private roomTaken(decision: Decision): boolean {
    for (const call of decision.calls.values()) {
      if (call && call.roomId !== 0) {
        const holder = this.rooms.get(call.roomId);
        if (holder !== undefined && holder !== call.callId) return true;
      }
    }
    return false;
  }

  private commit(decision: Decision): void {
    const presenceChanged = presenceChanges(decision, (userId) => this.users.get(userId));
    for (const [userId, user] of decision.users) {
      if (user === null) {
        this.users.delete(userId);
        this.outboxes.delete(userId);
        continue;
      }
      this.users.set(userId, user);
      if (this.outboxes.get(userId)?.sessionId !== user.sessionId) {
        this.outboxes.set(userId, new Outbox(user.sessionId, this.outboxCapacity));
      }
    }
    for (const [callId, call] of decision.calls) {
      const previous = this.calls.get(callId);
      if (previous && previous.roomId !== 0) this.rooms.delete(previous.roomId);
      if (call === null) {
        this.calls.delete(callId);
      } else {
        this.calls.set(callId, call);
        if (call.roomId !== 0) this.rooms.set(call.roomId, callId);
      }
    }
    const notify = new Set<string>();
    for (const { to, event } of decision.deliveries) {
      const outbox = this.outboxes.get(to);
      if (!outbox) continue;
      outbox.append(event);
      notify.add(to);
    }
    decision.timers.forEach((change) => this.changeTimer(change));
    for (const kick of decision.kicks) this.delivery.kick(kick);
    for (const userId of notify) this.delivery.events(userId);
    if (presenceChanged.length > 0) this.delivery.presence?.(presenceChanged);
  }

  private changeTimer(change: TimerChange): void {
    const key = 'set' in change ? change.set : change.clear;
    const existing = this.timers.get(key);
    if (existing) {
      clearTimeout(existing);
      this.timers.delete(key);
    }
    if (!('set' in change) || this.closed) return;
    // Node may fire a timer a millisecond before Date.now() reaches its deadline.
    const delay = Math.max(0, change.at - Date.now()) + 1;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.inputListener(change.input);
    }, delay);
    timer.unref();
    this.timers.set(key, timer);
  }
}
