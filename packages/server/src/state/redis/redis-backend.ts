import type { Redis, ChainableCommander } from 'ioredis';
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
import { Missing, TransactionReads, parse } from './transaction-reads.js';
import { claimTimersScript, eventsAfterScript, releaseTimerScript } from './scripts.js';

export interface RedisBackendOptions {
  /** Events kept per session for resume. Default 64. */
  outboxCapacity?: number;
  /** Connections for concurrent transactions. Default 8. */
  poolSize?: number;
  /** How often due timers are looked for. Default 50 ms. */
  timerPollMs?: number;
}

/** What the backend tells other nodes on their node channel (or all of them, for presence). */
type StateMessage =
  | { type: 'events'; userId: string; deviceId: string; messages: SequencedMessage[] }
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

/** Thrown inside a transaction attempt that must start over (a watched key changed). */
class Conflict extends Error {}

/**
 * Call and presence state in Redis, shared by every node of a cluster. A transaction WATCHes
 * every key it reads and commits with MULTI/EXEC, so that decisions about the same users are
 * atomic across nodes; a conflicting commit is decided again on fresh state.
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

  constructor(
    private readonly cluster: RedisCluster,
    options: RedisBackendOptions = {},
  ) {
    this.redis = cluster.client;
    this.outboxCapacity = options.outboxCapacity ?? 64;
    this.timerPollMs = options.timerPollMs ?? 50;
    this.pool = new ConnectionPool(Array.from({ length: options.poolSize ?? 8 }, () => cluster.connection()));
    this.redis.defineCommand('eventsAfter', { numberOfKeys: 2, lua: eventsAfterScript });
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
    on('events', (message) => this.delivery.events(message.userId, message.deviceId, message.messages));
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
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        const decision = await this.pool.use((connection) => this.attempt(connection, input, decide));
        if (decision) return decision;
      } catch (error) {
        if (!(error instanceof Conflict)) throw new StateUnavailableError(`state store: ${String(error)}`);
      }
      if (attempt > 5) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 2)));
    }
    throw new StateUnavailableError('state store: too many conflicting transactions');
  }

  async eventsAfter(userId: string, deviceId: string, sessionId: string, afterSeq: number, kept = false): Promise<SequencedMessage[] | undefined> {
    const reply = (await (this.redis as RedisWithScripts).eventsAfter(
      this.keys.seq(userId),
      this.keys.outbox(userId, deviceId),
      deviceId,
      sessionId,
      afterSeq,
      kept ? '1' : '0',
    )) as string[];
    if (reply[0] !== 'ok') return undefined;
    return reply.slice(1).map((event) => JSON.parse(event) as SequencedMessage);
  }

  async inspect(userId: string): Promise<{ user?: UserRecord; call?: CallRecord }> {
    const user = parse<UserRecord>(await this.redis.get(this.keys.user(userId)));
    const call = user?.callId ? parse<CallRecord>(await this.redis.get(this.keys.call(user.callId))) : undefined;
    return { ...(user ? { user } : {}), ...(call ? { call } : {}) };
  }

  async userRecords(userIds: readonly string[]): Promise<(UserRecord | undefined)[]> {
    if (userIds.length === 0) return [];
    return (await this.redis.mget(userIds.map(this.keys.user))).map((value) => parse<UserRecord>(value));
  }

  async liveCalls(): Promise<CallRecord[]> {
    const ids = await this.redis.smembers(this.keys.liveCalls);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map(this.keys.call));
    return values.map((value) => parse<CallRecord>(value)).filter((call): call is CallRecord => call !== undefined);
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
    return (await this.redis.mget(entryIds.map(this.keys.entry))).map((value) => parse<EntryRecord>(value));
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

  // ---- one transaction attempt ----

  /**
   * Loads what the decision reads while WATCHing it (more on demand, see TransactionReads),
   * decides, and commits; undefined when EXEC found a change.
   */
  private async attempt(
    connection: Redis,
    input: CallInput,
    decide: (snapshot: Snapshot) => Decision,
  ): Promise<Decision | undefined> {
    let committed = false;
    try {
      const reads = new TransactionReads(connection, this.keys);
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
      if (!(await this.roomsFree(connection, decision, reads))) throw new Conflict();
      const transaction = connection.multi();
      const local = this.write(transaction, reads, decision);
      const result = await transaction.exec();
      committed = true;
      if (result === null) return undefined;
      const failed = result.find(([error]) => error !== null);
      if (failed) throw failed[0];
      for (const kick of local.kicks) this.delivery.kick(kick);
      for (const { userId, deviceId, messages } of local.events) this.delivery.events(userId, deviceId, messages);
      for (const { to, device, message } of local.signals) this.delivery.signal?.(to, device, message);
      return decision;
    } finally {
      if (!committed) await connection.unwatch().catch(() => {});
    }
  }

  /** WATCHes the rooms a decision allocates and checks nobody holds them. */
  private async roomsFree(connection: Redis, decision: Decision, reads: TransactionReads): Promise<boolean> {
    const claimed = [...decision.calls.values()].filter(
      (call): call is CallRecord => call !== null && call.roomId !== 0 && reads.callBefore(call.callId)?.roomId !== call.roomId,
    );
    if (claimed.length === 0) return true;
    const keys = claimed.map((call) => this.keys.room(call.roomId));
    const holders = await watchAndGet(connection, keys);
    return holders.every((holder, i) => holder === null || holder === claimed[i]!.callId);
  }

  /** Queues every write of a decision; returns what this node must do itself after EXEC. */
  private write(
    m: ChainableCommander,
    reads: TransactionReads,
    decision: Decision,
  ): { events: LocalEvents[]; kicks: Kick[]; signals: Decision['signals'] } {
    const k = this.keys;
    const after = (userId: string): UserRecord | undefined => {
      const written = decision.users.get(userId);
      return written === undefined ? reads.userBefore(userId) : (written ?? undefined);
    };
    /** Per user and device: the outbox's session and last seq, as this decision leaves them. */
    const outboxes = new Map<string, { userId: string; deviceId: string; sessionId: string; seq: number; appended: SequencedMessage[] }>();
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
        m.hdel(k.seq(userId), device.deviceId);
      }
      if (user === null) {
        m.del(k.user(userId), k.seq(userId));
        continue;
      }
      m.set(k.user(userId), JSON.stringify(user));
      if (user.role && before?.role !== user.role) m.sadd(k.role(user.role), userId);
      for (const device of user.devices) {
        if (before?.devices.find((d) => d.deviceId === device.deviceId)?.sessionId === device.sessionId) continue;
        m.del(k.outbox(userId, device.deviceId));
        m.hset(k.seq(userId), device.deviceId, `${device.sessionId} 0`);
        outboxes.set(outboxKey(userId, device.deviceId), { userId, deviceId: device.deviceId, sessionId: device.sessionId, seq: 0, appended: [] });
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
      m.set(k.call(callId), JSON.stringify(call));
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
        m.set(k.entry(entryId), JSON.stringify(entry));
        m.sadd(k.liveEntries, entryId);
      }
    }
    const local = { events: [] as LocalEvents[], kicks: [] as Kick[], signals: [] as Decision['signals'] };
    const notified = new Set<string>();
    for (const delivery of decision.deliveries) {
      const user = after(delivery.to);
      for (const deviceId of targetDevices(delivery, user)) {
        const device = user!.devices.find((d) => d.deviceId === deviceId)!;
        const key = outboxKey(delivery.to, deviceId);
        let outbox = outboxes.get(key);
        if (!outbox) {
          outbox = { userId: delivery.to, deviceId, ...seqState(reads.seqs.get(delivery.to)?.[deviceId] ?? null, device.sessionId), appended: [] };
          outboxes.set(key, outbox);
        }
        outbox.seq += 1;
        const message = sequenced(delivery, outbox.seq);
        outbox.appended.push(message);
        m.rpush(k.outbox(delivery.to, deviceId), JSON.stringify(message));
        notified.add(key);
      }
    }
    for (const key of notified) {
      const outbox = outboxes.get(key)!;
      const { userId, deviceId, appended: messages } = outbox;
      m.ltrim(k.outbox(userId, deviceId), -this.outboxCapacity, -1);
      m.hset(k.seq(userId), deviceId, `${outbox.sessionId} ${outbox.seq}`);
      const node = after(userId)!.devices.find((d) => d.deviceId === deviceId)!.node;
      if (node === this.node) local.events.push({ userId, deviceId, messages });
      else m.publish(k.nodeChannel(node), JSON.stringify({ type: 'events', userId, deviceId, messages } satisfies StateMessage));
    }
    for (const change of decision.timers) {
      if ('set' in change) {
        m.zadd(k.timers, change.at, change.set);
        m.hset(k.timerInputs, change.set, JSON.stringify(change.input));
      } else {
        m.zrem(k.timers, change.clear);
        m.hdel(k.timerInputs, change.clear);
      }
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
  private reindexUser(m: ChainableCommander, userId: string, before: UserRecord | undefined, after: UserRecord | undefined): void {
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
  eventsAfter(seqKey: string, outboxKey: string, deviceId: string, sessionId: string, afterSeq: number, kept: string): Promise<unknown>;
  claimTimers(timers: string, inputs: string, now: number, lease: number, limit: number): Promise<unknown>;
  releaseTimer(timers: string, inputs: string, key: string, lease: number): Promise<unknown>;
};

/** WATCHes `keys` and reads them, in one round trip. */
async function watchAndGet(connection: Redis, keys: string[]): Promise<(string | null)[]> {
  const replies = await connection.pipeline().watch(...keys).mget(...keys).exec();
  const [watched, read] = replies ?? [];
  if (!watched || !read) throw new Error('WATCH/MGET: no reply');
  if (watched[0]) throw watched[0];
  if (read[0]) throw read[0];
  return read[1] as (string | null)[];
}

function seqState(value: string | null, sessionId: string): { sessionId: string; seq: number } {
  if (value === null) return { sessionId, seq: 0 };
  const [session, seq] = value.split(' ');
  return session === sessionId ? { sessionId, seq: Number(seq) } : { sessionId, seq: 0 };
}
