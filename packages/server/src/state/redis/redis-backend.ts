import type { Redis } from 'ioredis';
import type { PresenceEntry, SequencedMessage, SignalDeliveryMessage } from '@callgate/protocol';
import type { CallInput, CallRecord, Decision, Kick, Snapshot, TimerInput, UserRecord } from '../../calls/types.js';
import type { EntryRecord } from '../../queues/types.js';
import {
  StateUnavailableError,
  presenceChanges,
  presenceEntry,
  type DeliveryListeners,
  type InputListener,
  type LineRead,
  type StateBackend,
} from '../backend.js';
import { availabilityOf, lineOf, servedQueues, userQueueChanges } from '../queue-indexes.js';
import type { ClusterMessage } from '../cluster.js';
import { outboxKey, sequenced, targetDevices } from '../outbox.js';
import { ConnectionPool } from './connection-pool.js';
import type { RedisCluster } from './redis-cluster.js';
import { Missing, TransactionReads } from './transaction-reads.js';
import { claimTimersScript, decideScript, eventsAfterScript, releaseTimerScript } from './scripts.js';
import { DecisionWrites } from './decision-writes.js';
import { RecordCache } from './record-cache.js';
import { RecordStamps, parseRecord } from './record-stamps.js';
import { OneAtATime } from '../../one-at-a-time.js';

export interface RedisBackendOptions {
  /** Events kept per session for resume. Default 64. */
  outboxCapacity?: number;
  /** Connections for concurrent transactions. Default 8. */
  poolSize?: number;
  /** How often due timers are looked for. Default 50 ms. */
  timerPollMs?: number;
  /** User, call and entry records this node keeps as it last read or wrote them. Default 5,000. */
  cacheSize?: number;
}

/** What the backend tells other nodes on their node channel (or all of them, for presence). */
type StateMessage =
  | { type: 'events'; userId: string; deviceId: string; messages: SequencedMessage[]; records?: [string, string | null][] }
  | { type: 'kick'; kick: Kick }
  | { type: 'signal'; userId: string; deviceId: string; message: SignalDeliveryMessage }
  | { type: 'presence'; userIds: string[] }
  | { type: 'queues'; queues: string[]; agents: string[] };

const noDelivery: DeliveryListeners = { events() {}, kick() {} };
const MAX_ATTEMPTS = 200;
/** Loads on demand within one attempt, at most (a decision reads a bounded slice of state). */
const MAX_LOADS = 40;
/** How long a claimed timer is leased before another node may take it over. */
const TIMER_LEASE_MS = 10_000;

/**
 * Call and presence state in Redis, shared by every node of a cluster. A decision reads what it
 * needs (from the record cache where it can), and one run of the decision script checks that
 * nothing it read changed and writes it all, atomically, so that decisions about the same users
 * are atomic across nodes; a decision whose reads changed is decided again on fresh state
 * (docs/architecture.md, "Cluster decisions").
 */
export class RedisStateBackend implements StateBackend {
  readonly shared = true;
  private readonly redis: Redis;
  private readonly pool: ConnectionPool;
  private readonly outboxCapacity: number;
  private readonly timerPollMs: number;
  private delivery = noDelivery;
  private inputListener: InputListener = () => {};
  private timerPoll: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly cache: RecordCache;
  private readonly stamps = new RecordStamps();
  private readonly retries = new OneAtATime();
  /** Where user, call and entry records live: the keys the record cache keeps. */
  private readonly recordPrefixes: string[];

  constructor(
    private readonly cluster: RedisCluster,
    options: RedisBackendOptions = {},
  ) {
    this.redis = cluster.client;
    this.outboxCapacity = options.outboxCapacity ?? 64;
    this.timerPollMs = options.timerPollMs ?? 50;
    this.pool = new ConnectionPool(Array.from({ length: options.poolSize ?? 8 }, () => cluster.connection()));
    this.cache = new RecordCache(options.cacheSize ?? 5_000);
    this.recordPrefixes = [this.keys.user(''), this.keys.call(''), this.keys.entry('')];
    this.redis.defineCommand('eventsAfter', { numberOfKeys: 2, lua: eventsAfterScript });
    for (const connection of this.pool.connections) connection.defineCommand('decide', { lua: decideScript });
    this.redis.defineCommand('claimTimers', { numberOfKeys: 2, lua: claimTimersScript });
    this.redis.defineCommand('releaseTimer', { numberOfKeys: 2, lua: releaseTimerScript });
  }

  get node(): string {
    return this.cluster.node;
  }

  private get keys() {
    return this.cluster.keys;
  }

  /** Connects its transaction connections, hears its messages on the cluster and starts the timer poll. */
  async start(): Promise<void> {
    await Promise.all(this.pool.connections.map((connection) => connection.connect()));
    const on = <T extends StateMessage['type']>(type: T, handle: (message: Extract<StateMessage, { type: T }>) => void): void =>
      this.cluster.onMessage(type, (message: ClusterMessage) => handle(message as unknown as Extract<StateMessage, { type: T }>));
    on('events', (message) => {
      // The records the decision wrote: this node's next decision about these users needs no read.
      for (const [key, value] of message.records ?? []) this.cache.set(key, value);
      this.delivery.events(message.userId, message.deviceId, message.messages);
    });
    on('kick', (message) => this.delivery.kick(message.kick));
    on('signal', (message) => this.delivery.signal?.(message.userId, message.deviceId, message.message));
    on('presence', (message) => this.delivery.presence?.(message.userIds));
    on('queues', (message) => this.delivery.queues?.({ queues: message.queues, agents: message.agents }));
    this.cluster.onRestored(() => this.delivery.restored?.());
    this.cluster.onNodeDead((node) => void this.dropUsersOf(node));
    this.timerPoll = setInterval(() => void this.pollTimers(), this.timerPollMs);
    this.timerPoll.unref();
  }

  listen(listeners: DeliveryListeners): void {
    this.delivery = listeners;
  }

  onInput(listener: InputListener): void {
    this.inputListener = listener;
  }

  async transact(input: CallInput, decide: (snapshot: Snapshot) => Decision): Promise<Decision> {
    const once = (): Promise<Decision | undefined> => this.pool.use((connection) => this.attempt(connection, input, decide));
    try {
      const decision = await once();
      if (decision) return decision;
      // Decisions that just collided (a busy queue's line, one callee) would collide again if
      // they all retried at once: this node retries them one at a time.
      return await this.retries.run(async () => {
        for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
          const retried = await once();
          if (retried) return retried;
          if (attempt > 5) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 2)));
        }
        throw new StateUnavailableError('state store: too many conflicting transactions');
      });
    } catch (error) {
      if (error instanceof StateUnavailableError) throw error;
      throw new StateUnavailableError(`state store: ${String(error)}`);
    }
  }

  async eventsAfter(userId: string, deviceId: string, sessionId: string, afterSeq: number, kept = false): Promise<SequencedMessage[] | undefined> {
    const reply = (await (this.redis as RedisWithScripts).eventsAfter(
      this.keys.seqs(userId),
      this.keys.outbox(userId, deviceId),
      deviceId,
      sessionId,
      afterSeq,
      kept ? '1' : '0',
      this.outboxCapacity,
    )) as string[];
    if (reply[0] !== 'ok') return undefined;
    return reply.slice(1).map((event) => JSON.parse(event) as SequencedMessage);
  }

  async inspect(userId: string): Promise<{ user?: UserRecord; call?: CallRecord }> {
    const user = parseRecord<UserRecord>(await this.redis.get(this.keys.user(userId)));
    const call = user?.callId ? parseRecord<CallRecord>(await this.redis.get(this.keys.call(user.callId))) : undefined;
    return { ...(user ? { user } : {}), ...(call ? { call } : {}) };
  }

  async userRecords(userIds: readonly string[]): Promise<(UserRecord | undefined)[]> {
    if (userIds.length === 0) return [];
    return (await this.redis.mget(userIds.map(this.keys.user))).map((value) => parseRecord<UserRecord>(value));
  }

  async liveCalls(): Promise<CallRecord[]> {
    const ids = await this.redis.smembers(this.keys.liveCalls);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map(this.keys.call));
    return values.map((value) => parseRecord<CallRecord>(value)).filter((call): call is CallRecord => call !== undefined);
  }

  async presence(userIds: readonly string[]): Promise<PresenceEntry[]> {
    const users = await this.userRecords(userIds);
    return userIds.map((userId, i) => presenceEntry(userId, users[i]));
  }

  async presenceByRole(role: string): Promise<PresenceEntry[]> {
    const members = await this.redis.smembers(this.keys.role(role));
    return (await this.presence(members)).filter((entry) => entry.role === role && entry.status !== 'offline');
  }

  async entries(entryIds: readonly string[]): Promise<(EntryRecord | undefined)[]> {
    if (entryIds.length === 0) return [];
    return (await this.redis.mget(entryIds.map(this.keys.entry))).map((value) => parseRecord<EntryRecord>(value));
  }

  async liveEntries(): Promise<EntryRecord[]> {
    const ids = await this.redis.smembers(this.keys.liveEntries);
    return (await this.entries(ids)).filter((entry): entry is EntryRecord => entry !== undefined);
  }

  async line(queue: string): Promise<LineRead> {
    const flat = await this.redis.zrange(this.keys.line(queue), 0, -1, 'WITHSCORES');
    const line: { id: string; score: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) line.push({ id: flat[i]!, score: Number(flat[i + 1]) });
    return line;
  }

  async queueAgents(queue: string): Promise<UserRecord[]> {
    const ids = await this.redis.smembers(this.keys.queueAgents(queue));
    return (await this.userRecords(ids)).filter((user): user is UserRecord => user?.agent !== undefined);
  }

  async sendSignal(userId: string, deviceId: string, node: string, message: SignalDeliveryMessage): Promise<void> {
    await this.cluster.sendToNode(node, { type: 'signal', userId, deviceId, message } satisfies StateMessage);
  }

  ready(): Promise<boolean> {
    return this.cluster.ready();
  }

  /** Stops the timer poll and closes its connections; the cluster closes its own. */
  async close(): Promise<void> {
    clearInterval(this.timerPoll);
    await Promise.allSettled(this.pool.connections.map((connection) => connection.quit()));
  }

  // ---- one decision attempt ----

  /**
   * Loads what the decision reads (more on demand, see TransactionReads), decides, and runs the
   * decision script; undefined when the script found something read had changed.
   */
  private async attempt(
    connection: Redis,
    input: CallInput,
    decide: (snapshot: Snapshot) => Decision,
  ): Promise<Decision | undefined> {
    const reads = new TransactionReads(connection, this.keys, this.cache);
    await reads.preload(input);
    let decision: Decision | undefined;
    for (let load = 0; !decision; load++) {
      try {
        decision = decide(reads.snapshot);
      } catch (error) {
        if (!(error instanceof Missing) || load >= MAX_LOADS) throw error;
        await reads.load(error.need);
      }
    }
    const writes = new DecisionWrites();
    reads.checkAll(writes);
    this.checkRooms(writes, decision, reads);
    const local = this.write(writes, reads, decision);
    const { keys, argv } = writes.arguments();
    const reply = (await (connection as RedisWithScripts).decide(keys.length, ...keys, ...argv)) as number[];
    if (reply[0] !== 1) {
      this.cache.forget(reads.observedKeys());
      return undefined;
    }
    for (const [key, value] of writes.written()) if (this.isRecord(key)) this.cache.set(key, value);
    for (const kick of local.kicks) this.delivery.kick(kick);
    local.appends.forEach(({ userId, deviceId, messages }, i) => {
      if (messages.length === 0) return;
      const first = reply[i + 1]!;
      this.delivery.events(userId, deviceId, messages.map((message, j) => ({ ...message, seq: first + j })));
    });
    for (const { to, device, message } of local.signals) this.delivery.signal?.(to, device, message);
    return decision;
  }

  private isRecord(key: string): boolean {
    return this.recordPrefixes.some((prefix) => key.startsWith(prefix));
  }

  /** The rooms a decision allocates must be free. */
  private checkRooms(writes: DecisionWrites, decision: Decision, reads: TransactionReads): void {
    for (const call of decision.calls.values()) {
      if (call !== null && call.roomId !== 0 && reads.callBefore(call.callId)?.roomId !== call.roomId) writes.check(this.keys.room(call.roomId), null);
    }
  }

  /**
   * Adds every write of a decision to the script; returns what this node must do itself after it
   * ran: kicks, signals, and per append (in order) the messages for a device this node holds
   * (none for a device on another node: the script publishes those to its node).
   */
  private write(
    m: DecisionWrites,
    reads: TransactionReads,
    decision: Decision,
  ): { appends: LocalEvents[]; kicks: Kick[]; signals: Decision['signals'] } {
    const k = this.keys;
    const after = (userId: string): UserRecord | undefined => {
      const written = decision.users.get(userId);
      return written === undefined ? reads.userBefore(userId) : (written ?? undefined);
    };
    const queueChanges = { queues: new Set<string>(), agents: new Set<string>() };
    for (const [userId, user] of decision.users) {
      const before = reads.userBefore(userId);
      this.reindexUser(m, userId, before, user ?? undefined);
      userQueueChanges(before, user ?? undefined, queueChanges);
      if (before?.role && before.role !== user?.role) m.srem(k.role(before.role), userId);
      const nodesBefore = new Set(before?.devices.map((d) => d.node) ?? []);
      const nodesAfter = new Set(user?.devices.map((d) => d.node) ?? []);
      for (const node of nodesBefore) if (!nodesAfter.has(node)) m.srem(k.nodeUsers(node), userId);
      for (const node of nodesAfter) if (!nodesBefore.has(node)) m.sadd(k.nodeUsers(node), userId);
      for (const device of before?.devices ?? []) {
        if (user?.devices.some((d) => d.deviceId === device.deviceId)) continue;
        m.del(k.outbox(userId, device.deviceId));
        m.hdel(k.seqs(userId), `s:${device.deviceId}`, `n:${device.deviceId}`);
      }
      if (user === null) {
        m.del(k.user(userId), k.seqs(userId));
        continue;
      }
      m.set(k.user(userId), this.stamps.stamped(JSON.stringify(user)));
      if (user.role && before?.role !== user.role) m.sadd(k.role(user.role), userId);
      for (const device of user.devices) {
        if (before?.devices.find((d) => d.deviceId === device.deviceId)?.sessionId === device.sessionId) continue;
        m.del(k.outbox(userId, device.deviceId));
        m.hset(k.seqs(userId), `s:${device.deviceId}`, device.sessionId, `n:${device.deviceId}`, '0');
      }
    }
    for (const [callId, call] of decision.calls) {
      const before = reads.callBefore(callId);
      if (call === null) {
        m.del(k.call(callId));
        m.srem(k.liveCalls, callId);
        if (before && before.roomId !== 0) m.del(k.room(before.roomId));
        continue;
      }
      m.set(k.call(callId), this.stamps.stamped(JSON.stringify(call)));
      if (!before) m.sadd(k.liveCalls, callId);
      if (call.roomId !== 0 && before?.roomId !== call.roomId) m.set(k.room(call.roomId), callId);
    }
    for (const [entryId, entry] of decision.entries) {
      const was = lineOf(reads.entryBefore(entryId));
      const is = lineOf(entry);
      if (was) queueChanges.queues.add(was.queue);
      if (is) queueChanges.queues.add(is.queue);
      if (was && was.queue !== is?.queue) m.zrem(k.line(was.queue), entryId);
      if (is && (was?.queue !== is.queue || was.score !== is.score)) m.zadd(k.line(is.queue), is.score, entryId);
      if (entry === null) {
        m.del(k.entry(entryId));
        m.srem(k.liveEntries, entryId);
      } else {
        m.set(k.entry(entryId), this.stamps.stamped(JSON.stringify(entry)));
        m.sadd(k.liveEntries, entryId);
      }
    }
    /** Per device: the messages this decision appends to its outbox, numbered by the script. */
    const outboxes = new Map<string, { userId: string; deviceId: string; node: string; messages: SequencedMessage[] }>();
    for (const delivery of decision.deliveries) {
      const user = after(delivery.to);
      for (const deviceId of targetDevices(delivery, user)) {
        const key = outboxKey(delivery.to, deviceId);
        let outbox = outboxes.get(key);
        if (!outbox) {
          const node = user!.devices.find((d) => d.deviceId === deviceId)!.node;
          outbox = { userId: delivery.to, deviceId, node, messages: [] };
          outboxes.set(key, outbox);
        }
        outbox.messages.push(sequenced(delivery, 0));
      }
    }
    const local = { appends: [] as LocalEvents[], kicks: [] as Kick[], signals: [] as Decision['signals'] };
    let records: string | undefined;
    for (const { userId, deviceId, node, messages } of outboxes.values()) {
      const here = node === this.node;
      records ??= here ? undefined : JSON.stringify([...m.written()].filter(([key]) => this.isRecord(key)));
      const start = here ? '' : `{"type":"events","userId":${JSON.stringify(userId)},"deviceId":${JSON.stringify(deviceId)},"records":${records},"messages":[`;
      const bodies = messages.map(({ seq: _seq, ...message }) => JSON.stringify(message).slice(1));
      m.append(k.outbox(userId, deviceId), k.seqs(userId), deviceId, this.outboxCapacity, here ? '' : k.nodeChannel(node), start, bodies);
      local.appends.push({ userId, deviceId, messages: here ? messages : [] });
    }
    // Each timer as the decision leaves it (its last change), set and cleared in one write each.
    const timers = new Map(decision.timers.map((change) => ['set' in change ? change.set : change.clear, change] as const));
    const set = [...timers.values()].flatMap((change) => ('set' in change ? [change] : []));
    const cleared = [...timers.keys()].filter((key) => !('set' in timers.get(key)!));
    if (cleared.length > 0) {
      m.zrem(k.timers, ...cleared);
      m.hdel(k.timerInputs, ...cleared);
    }
    if (set.length > 0) {
      m.zadd(k.timers, ...set.flatMap((change) => [change.at, change.set]));
      m.hset(k.timerInputs, ...set.flatMap((change) => [change.set, JSON.stringify(change.input)]));
    }
    const presenceChanged = presenceChanges(decision, (userId) => reads.userBefore(userId));
    if (presenceChanged.length > 0) m.publish(k.broadcastChannel, JSON.stringify({ type: 'presence', userIds: presenceChanged } satisfies StateMessage));
    if (queueChanges.queues.size > 0 || queueChanges.agents.size > 0) {
      const changes = { type: 'queues', queues: [...queueChanges.queues], agents: [...queueChanges.agents] } satisfies StateMessage;
      m.publish(k.broadcastChannel, JSON.stringify(changes));
    }
    for (const kick of decision.kicks) {
      if (kick.node === this.node) local.kicks.push(kick);
      else m.publish(k.nodeChannel(kick.node), JSON.stringify({ type: 'kick', kick } satisfies StateMessage));
    }
    for (const signal of decision.signals) {
      const node = after(signal.to)?.devices.find((d) => d.deviceId === signal.device)?.node;
      if (node === undefined) continue;
      if (node === this.node) local.signals.push(signal);
      else m.publish(k.nodeChannel(node), JSON.stringify({ type: 'signal', userId: signal.to, deviceId: signal.device, message: signal.message } satisfies StateMessage));
    }
    return local;
  }

  /** Keeps a queue's available list and its agents true to a user's new record. */
  private reindexUser(m: DecisionWrites, userId: string, before: UserRecord | undefined, after: UserRecord | undefined): void {
    const was = availabilityOf(before);
    const is = availabilityOf(after);
    for (const queue of was?.queues ?? []) if (!is?.queues.includes(queue)) m.zrem(this.keys.available(queue), userId);
    if (is && (was?.score !== is.score || was.queues.join() !== is.queues.join())) {
      for (const queue of is.queues) m.zadd(this.keys.available(queue), is.score, userId);
    }
    const served = servedQueues(after);
    for (const queue of servedQueues(before)) if (!served.includes(queue)) m.srem(this.keys.queueAgents(queue), userId);
    for (const queue of served) if (!servedQueues(before).includes(queue)) m.sadd(this.keys.queueAgents(queue), userId);
  }

  // ---- timers and dead nodes ----

  private async pollTimers(): Promise<void> {
    if (this.polling || this.redis.status !== 'ready') return;
    this.polling = true;
    try {
      const now = Date.now();
      const lease = now + TIMER_LEASE_MS;
      const claimed = (await (this.redis as RedisWithScripts).claimTimers(this.keys.timers, this.keys.timerInputs, now, lease, 100)) as string[];
      const releases: Promise<unknown>[] = [];
      for (let i = 0; i < claimed.length; i += 2) {
        const key = claimed[i]!;
        const input = parse<TimerInput>(claimed[i + 1] ?? '');
        if (input) this.inputListener(input);
        releases.push((this.redis as RedisWithScripts).releaseTimer(this.keys.timers, this.keys.timerInputs, key, lease));
      }
      await Promise.all(releases);
    } catch {
      // Redis is away: the timers wait in Redis and fire when it is back.
    } finally {
      this.polling = false;
    }
  }

  /** A node stopped beating: its users' sockets are gone, as if each had dropped. */
  private async dropUsersOf(node: string): Promise<void> {
    try {
      const userIds = await this.redis.smembers(this.keys.nodeUsers(node));
      const users = await this.userRecords(userIds);
      for (const [i, userId] of userIds.entries()) {
        for (const device of users[i]?.devices ?? []) {
          if (device.node !== node || !device.connected) continue;
          const { sessionId, connectionId } = device;
          this.inputListener({ kind: 'disconnect', userId, sessionId, connectionId, final: false });
        }
      }
    } catch {
      // Their records stay; each user's own grace timer or reconnect settles it.
    }
  }
}

/** Messages a commit appended to the outbox of a device whose socket this node holds. */
interface LocalEvents {
  userId: string;
  deviceId: string;
  messages: SequencedMessage[];
}

type RedisWithScripts = Redis & {
  eventsAfter(seqsKey: string, outboxKey: string, deviceId: string, sessionId: string, afterSeq: number, kept: string, capacity: number): Promise<unknown>;
  decide(numberOfKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  claimTimers(timers: string, inputs: string, now: number, lease: number, limit: number): Promise<unknown>;
  releaseTimer(timers: string, inputs: string, key: string, lease: number): Promise<unknown>;
};

function parse<T>(text: string): T | undefined {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
