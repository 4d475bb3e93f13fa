import type { PresenceEntry, SequencedMessage, SignalDeliveryMessage } from '@callgate/protocol';
import type { CallInput, CallRecord, Decision, Snapshot, TimerChange, UserRecord } from '../calls/types.js';
import type { EntryRecord, QueueView } from '../queues/types.js';
import { presenceChanges, presenceEntry, type DeliveryListeners, type InputListener, type LineRead, type StateBackend } from './backend.js';
import { availabilityOf, lineOf, servedQueues, userQueueChanges } from './queue-indexes.js';
import { SortedIndex } from './sorted-index.js';
import { Outbox, outboxKey, targetDevices } from './outbox.js';

export interface MemoryBackendOptions {
  /** Events kept per session for resume. */
  outboxCapacity?: number;
}

const noDelivery: DeliveryListeners = { events() {}, kick() {} };

/**
 * State in this process. Every transaction runs from read to commit without yielding, so
 * decisions are atomic without locks, and a decision reads the live maps themselves.
 */
export class MemoryStateBackend implements StateBackend {
  readonly node = 'local';
  readonly shared = false;
  private readonly users = new Map<string, UserRecord>();
  private readonly calls = new Map<string, CallRecord>();
  private readonly rooms = new Map<number, string>();
  private readonly outboxes = new Map<string, Outbox>();
  private readonly entryRecords = new Map<string, EntryRecord>();
  /** Per queue: its line, its available agents, its online agents. */
  private readonly lines = new Map<string, SortedIndex>();
  private readonly availableAgents = new Map<string, SortedIndex>();
  private readonly agentsOf = new Map<string, Set<string>>();
  private readonly queueView: QueueView = {
    entry: (entryId) => this.entryRecords.get(entryId),
    line: (queue, from, count) => this.lines.get(queue)?.range(from, count) ?? [],
    lineLength: (queue) => this.lines.get(queue)?.size ?? 0,
    available: (queue, from, count) => this.availableAgents.get(queue)?.range(from, count) ?? [],
  };
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

  async eventsAfter(userId: string, deviceId: string, sessionId: string, afterSeq: number, kept = false): Promise<SequencedMessage[] | undefined> {
    const outbox = this.outboxes.get(outboxKey(userId, deviceId));
    if (outbox?.sessionId !== sessionId) return undefined;
    return outbox.after(afterSeq) ?? (kept ? outbox.kept() : undefined);
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
    return [...this.users.values()]
      .filter((user) => user.role === role)
      .map((user) => presenceEntry(user.userId, user))
      .filter((entry) => entry.status !== 'offline');
  }

  async entries(entryIds: readonly string[]): Promise<(EntryRecord | undefined)[]> {
    return entryIds.map((entryId) => this.entryRecords.get(entryId));
  }

  async liveEntries(): Promise<EntryRecord[]> {
    return [...this.entryRecords.values()];
  }

  async line(queue: string): Promise<LineRead> {
    return this.lines.get(queue)?.entries() ?? [];
  }

  async queueAgents(queue: string): Promise<UserRecord[]> {
    return [...(this.agentsOf.get(queue) ?? [])].flatMap((userId) => this.users.get(userId) ?? []);
  }

  async sendSignal(userId: string, deviceId: string, _node: string, message: SignalDeliveryMessage): Promise<void> {
    this.delivery.signal?.(userId, deviceId, message);
  }

  private snapshot(_input: CallInput): Snapshot {
    return { users: this.users, calls: this.calls, queues: this.queueView };
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
    const queueChanges = { queues: new Set<string>(), agents: new Set<string>() };
    for (const [userId, user] of decision.users) {
      this.reindexUser(userId, this.users.get(userId), user ?? undefined);
      userQueueChanges(this.users.get(userId), user ?? undefined, queueChanges);
      const before = this.users.get(userId);
      for (const device of before?.devices ?? []) {
        if (!user?.devices.some((d) => d.deviceId === device.deviceId)) this.outboxes.delete(outboxKey(userId, device.deviceId));
      }
      if (user === null) {
        this.users.delete(userId);
        continue;
      }
      this.users.set(userId, user);
      for (const device of user.devices) {
        const key = outboxKey(userId, device.deviceId);
        if (this.outboxes.get(key)?.sessionId !== device.sessionId) this.outboxes.set(key, new Outbox(device.sessionId, this.outboxCapacity));
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
    for (const [entryId, entry] of decision.entries) {
      const before = lineOf(this.entryRecords.get(entryId));
      const after = lineOf(entry);
      if (before) queueChanges.queues.add(before.queue);
      if (after) queueChanges.queues.add(after.queue);
      if (before && (before.queue !== after?.queue || before.score !== after.score)) this.lines.get(before.queue)?.delete(entryId);
      if (after) indexOf(this.lines, after.queue).set(entryId, after.score);
      if (entry === null) this.entryRecords.delete(entryId);
      else this.entryRecords.set(entryId, entry);
    }
    const notify = new Map<string, { userId: string; deviceId: string; messages: SequencedMessage[] }>();
    for (const delivery of decision.deliveries) {
      for (const deviceId of targetDevices(delivery, this.users.get(delivery.to))) {
        const key = outboxKey(delivery.to, deviceId);
        const outbox = this.outboxes.get(key);
        if (!outbox) continue;
        const message = outbox.append(delivery);
        const pending = notify.get(key);
        if (pending) pending.messages.push(message);
        else notify.set(key, { userId: delivery.to, deviceId, messages: [message] });
      }
    }
    decision.timers.forEach((change) => this.changeTimer(change));
    for (const kick of decision.kicks) this.delivery.kick(kick);
    for (const { userId, deviceId, messages } of notify.values()) this.delivery.events(userId, deviceId, messages);
    for (const { to, device, message } of decision.signals) this.delivery.signal?.(to, device, message);
    if (presenceChanged.length > 0) this.delivery.presence?.(presenceChanged);
    if (queueChanges.queues.size > 0 || queueChanges.agents.size > 0) {
      this.delivery.queues?.({ queues: [...queueChanges.queues], agents: [...queueChanges.agents] });
    }
  }

  /** Keeps the available lists and the agents of each queue true to a user's new record. */
  private reindexUser(userId: string, before: UserRecord | undefined, after: UserRecord | undefined): void {
    const was = availabilityOf(before);
    const is = availabilityOf(after);
    for (const queue of was?.queues ?? []) if (!is?.queues.includes(queue)) this.availableAgents.get(queue)?.delete(userId);
    for (const queue of is?.queues ?? []) indexOf(this.availableAgents, queue).set(userId, is!.score);
    const served = servedQueues(after);
    for (const queue of servedQueues(before)) if (!served.includes(queue)) this.agentsOf.get(queue)?.delete(userId);
    for (const queue of served) {
      let agents = this.agentsOf.get(queue);
      if (!agents) this.agentsOf.set(queue, (agents = new Set()));
      agents.add(userId);
    }
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

function indexOf(indexes: Map<string, SortedIndex>, queue: string): SortedIndex {
  let index = indexes.get(queue);
  if (!index) indexes.set(queue, (index = new SortedIndex()));
  return index;
}
