import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis, type ChainableCommander } from 'ioredis';
import type { EventMessage, PresenceEntry, SignalDeliveryMessage } from '@callgate/protocol';
import { readSet } from '../../calls/machine.js';
import type {
  CallInput,
  CallRecord,
  Decision,
  Kick,
  Snapshot,
  TimerInput,
  UserRecord,
} from '../../calls/types.js';
import { StateUnavailableError, presenceChanges, presenceEntry, type StateBackend, type StateListeners } from '../backend.js';
import { ConnectionPool } from './connection-pool.js';
import { RedisKeys } from './keys.js';
import { claimTimersScript, eventsAfterScript, releaseTimerScript } from './scripts.js';

export interface RedisBackendOptions {
  /** redis://host:port/db */
  url: string;
  /** Key prefix shared by every node of one deployment. Default "callgate:". */
  prefix?: string;
  /** This node's name; unique in the cluster. Default: host, pid and a random part. */
  node?: string;
  /** Events kept per session for resume. Default 64. */
  outboxCapacity?: number;
  /** Connections for concurrent transactions. Default 8. */
  poolSize?: number;
  /** How often this node says it is alive. Default 1000 ms. */
  heartbeatMs?: number;
  /** A node silent this long is dead: its users are treated as disconnected. Default 5000 ms. */
  nodeTimeoutMs?: number;
  /** How often due timers are looked for. Default 50 ms. */
  timerPollMs?: number;
}

type NodeMessage =
  | { type: 'events'; userId: string }
  | { type: 'kick'; kick: Kick }
  | { type: 'signal'; userId: string; message: SignalDeliveryMessage };

/** A message between nodes for other parts of the server (e.g. the business link). */
export interface ClusterMessage {
  type: string;
  [field: string]: unknown;
}

const noListeners: StateListeners = { events() {}, input() {}, kick() {} };
const MAX_ATTEMPTS = 200;
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
  readonly node: string;
  readonly shared = true;
  readonly keys: RedisKeys;
  private readonly handlers = new Map<string, (message: ClusterMessage) => void>();
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly pool: ConnectionPool;
  private readonly outboxCapacity: number;
  private readonly options: Required<Omit<RedisBackendOptions, 'node' | 'prefix'>>;
  private listeners = noListeners;
  private readonly intervals: NodeJS.Timeout[] = [];
  private polling = false;
  private closed = false;

  constructor(options: RedisBackendOptions) {
    this.options = {
      url: options.url,
      outboxCapacity: options.outboxCapacity ?? 64,
      poolSize: options.poolSize ?? 8,
      heartbeatMs: options.heartbeatMs ?? 1000,
      nodeTimeoutMs: options.nodeTimeoutMs ?? 5000,
      timerPollMs: options.timerPollMs ?? 50,
    };
    this.node = options.node ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.keys = new RedisKeys(options.prefix ?? 'callgate:');
    this.outboxCapacity = this.options.outboxCapacity;
    const connect = (): Redis =>
      new Redis(options.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
    this.redis = connect();
    this.subscriber = connect();
    this.pool = new ConnectionPool(Array.from({ length: this.options.poolSize }, connect));
    for (const client of [this.redis, this.subscriber, ...this.pool.connections]) client.on('error', () => {});
    this.redis.defineCommand('eventsAfter', { numberOfKeys: 2, lua: eventsAfterScript });
    this.redis.defineCommand('claimTimers', { numberOfKeys: 2, lua: claimTimersScript });
    this.redis.defineCommand('releaseTimer', { numberOfKeys: 2, lua: releaseTimerScript });
  }

  /** Connects, joins the cluster and starts the timer and node watchers. */
  async start(): Promise<void> {
    await Promise.all([this.redis, this.subscriber, ...this.pool.connections].map((client) => client.connect()));
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.keys.presenceChannel) this.listeners.presence?.(parse<string[]>(text) ?? []);
      else this.nodeMessage(text);
    });
    let lost = false;
    this.redis.on('close', () => (lost = true));
    this.redis.on('ready', () => {
      if (!lost) return;
      lost = false;
      void this.beat().then(() => this.listeners.restored?.());
    });
    await this.subscriber.subscribe(this.keys.nodeChannel(this.node), this.keys.presenceChannel, this.keys.broadcastChannel);
    await this.beat();
    this.every(this.options.heartbeatMs, () => this.beat());
    this.every(this.options.heartbeatMs, () => this.sweepDeadNodes());
    this.every(this.options.timerPollMs, () => this.pollTimers());
  }

  listen(listeners: StateListeners): void {
    this.listeners = listeners;
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

  async eventsAfter(userId: string, sessionId: string, afterSeq: number): Promise<EventMessage[] | undefined> {
    const reply = (await (this.redis as RedisWithScripts).eventsAfter(
      this.keys.seq(userId),
      this.keys.outbox(userId),
      sessionId,
      afterSeq,
    )) as string[];
    if (reply[0] !== 'ok') return undefined;
    return reply.slice(1).map((event) => JSON.parse(event) as EventMessage);
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
    return (await this.presence(members)).filter((entry) => entry.role === role);
  }

  async sendSignal(userId: string, node: string, message: SignalDeliveryMessage): Promise<void> {
    if (node === this.node) this.listeners.signal?.(userId, message);
    else await this.redis.publish(this.keys.nodeChannel(node), JSON.stringify({ type: 'signal', userId, message } satisfies NodeMessage));
  }

  // ---- for other parts of the server that need the cluster ----

  /** The connection for commands; do not block it. */
  get client(): Redis {
    return this.redis;
  }

  /** A new connection of its own, for blocking reads; the caller quits it. */
  dedicatedConnection(): Redis {
    const connection = new Redis(this.options.url, { maxRetriesPerRequest: null, lazyConnect: false });
    connection.on('error', () => {});
    return connection;
  }

  /** Handles cluster messages of `type`, sent to this node or broadcast. */
  onClusterMessage(type: string, handler: (message: ClusterMessage) => void): void {
    this.handlers.set(type, handler);
  }

  async sendToNode(node: string, message: ClusterMessage): Promise<void> {
    if (node === this.node) this.handlers.get(message.type)?.(message);
    else await this.redis.publish(this.keys.nodeChannel(node), JSON.stringify(message));
  }

  async broadcast(message: ClusterMessage): Promise<void> {
    await this.redis.publish(this.keys.broadcastChannel, JSON.stringify(message));
  }

  /** The nodes whose heartbeat is recent. */
  async liveNodes(): Promise<Set<string>> {
    return new Set(await this.redis.zrangebyscore(this.keys.nodes, Date.now() - this.options.nodeTimeoutMs, '+inf'));
  }

  async ready(): Promise<boolean> {
    if (this.closed || this.redis.status !== 'ready') return false;
    return this.redis.ping().then(
      () => true,
      () => false,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.intervals.forEach(clearInterval);
    await Promise.allSettled([this.redis, this.subscriber, ...this.pool.connections].map((client) => client.quit()));
  }

  // ---- one transaction attempt ----

  /** Loads the snapshot while WATCHing it, decides, and commits; undefined when EXEC found a change. */
  private async attempt(
    connection: Redis,
    input: CallInput,
    decide: (snapshot: Snapshot) => Decision,
  ): Promise<Decision | undefined> {
    let committed = false;
    try {
      const wanted = readSet(input);
      const users = new Map<string, UserRecord>();
      const calls = new Map<string, CallRecord>();
      const seqs = new Map<string, string | null>();
      const loadUsers = async (ids: string[]): Promise<void> => {
        const fresh = [...new Set(ids)].filter((id) => !seqs.has(id));
        if (fresh.length === 0) return;
        const keys = fresh.flatMap((id) => [this.keys.user(id), this.keys.seq(id)]);
        const values = await watchAndGet(connection, keys);
        fresh.forEach((id, i) => {
          const user = parse<UserRecord>(values[2 * i] ?? null);
          if (user) users.set(id, user);
          seqs.set(id, values[2 * i + 1] ?? null);
        });
      };
      const loadCalls = async (ids: (string | null)[]): Promise<void> => {
        const fresh = [...new Set(ids)].filter((id): id is string => id !== null && !calls.has(id));
        if (fresh.length === 0) return;
        const keys = fresh.map(this.keys.call);
        const values = await watchAndGet(connection, keys);
        values.forEach((value) => {
          const call = parse<CallRecord>(value);
          if (call) calls.set(call.callId, call);
        });
      };
      await loadUsers(wanted.users);
      await loadCalls([...wanted.calls, ...[...users.values()].map((user) => user.callId)]);
      await loadUsers([...calls.values()].flatMap((call) => [call.caller, call.callee]));
      const snapshot: Snapshot = { users, calls };
      const decision = decide(snapshot);
      if (!(await this.roomsFree(connection, decision, calls))) throw new Conflict();
      const transaction = connection.multi();
      const local = this.write(transaction, snapshot, seqs, decision);
      const result = await transaction.exec();
      committed = true;
      if (result === null) return undefined;
      const failed = result.find(([error]) => error !== null);
      if (failed) throw failed[0];
      for (const kick of local.kicks) this.listeners.kick(kick);
      for (const userId of local.events) this.listeners.events(userId);
      return decision;
    } finally {
      if (!committed) await connection.unwatch().catch(() => {});
    }
  }

  /** WATCHes the rooms a decision allocates and checks nobody holds them. */
  private async roomsFree(connection: Redis, decision: Decision, before: Map<string, CallRecord>): Promise<boolean> {
    const claimed = [...decision.calls.values()].filter(
      (call): call is CallRecord => call !== null && call.roomId !== 0 && before.get(call.callId)?.roomId !== call.roomId,
    );
    if (claimed.length === 0) return true;
    const keys = claimed.map((call) => this.keys.room(call.roomId));
    const holders = await watchAndGet(connection, keys);
    return holders.every((holder, i) => holder === null || holder === claimed[i]!.callId);
  }

  /** Queues every write of a decision; returns what this node must do itself after EXEC. */
  private write(
    m: ChainableCommander,
    snapshot: Snapshot,
    seqs: Map<string, string | null>,
    decision: Decision,
  ): { events: Set<string>; kicks: Kick[] } {
    const k = this.keys;
    const after = (userId: string): UserRecord | undefined => {
      const written = decision.users.get(userId);
      return written === undefined ? snapshot.users.get(userId) : (written ?? undefined);
    };
    const outboxes = new Map<string, { sessionId: string; seq: number }>();
    for (const [userId, user] of decision.users) {
      const before = snapshot.users.get(userId);
      if (before?.role && before.role !== user?.role) m.srem(k.role(before.role), userId);
      if (user === null) {
        m.del(k.user(userId), k.outbox(userId), k.seq(userId));
        if (before) m.srem(k.nodeUsers(before.node), userId);
        continue;
      }
      m.set(k.user(userId), JSON.stringify(user));
      if (user.role && before?.role !== user.role) m.sadd(k.role(user.role), userId);
      if (before?.node !== user.node) {
        if (before) m.srem(k.nodeUsers(before.node), userId);
        m.sadd(k.nodeUsers(user.node), userId);
      }
      if (before?.sessionId !== user.sessionId) {
        m.del(k.outbox(userId));
        m.set(k.seq(userId), `${user.sessionId} 0`);
        outboxes.set(userId, { sessionId: user.sessionId, seq: 0 });
      }
    }
    for (const [callId, call] of decision.calls) {
      const before = snapshot.calls.get(callId);
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
    const local = { events: new Set<string>(), kicks: [] as Kick[] };
    const notified = new Set<string>();
    for (const { to, event } of decision.deliveries) {
      const user = after(to);
      if (!user) continue;
      let outbox = outboxes.get(to);
      if (!outbox) {
        outbox = seqState(seqs.get(to) ?? null, user.sessionId);
        outboxes.set(to, outbox);
      }
      outbox.seq += 1;
      const message: EventMessage = { type: 'event', seq: outbox.seq, ...event };
      m.rpush(k.outbox(to), JSON.stringify(message));
      notified.add(to);
    }
    for (const to of notified) {
      const outbox = outboxes.get(to)!;
      m.ltrim(k.outbox(to), -this.outboxCapacity, -1);
      m.set(k.seq(to), `${outbox.sessionId} ${outbox.seq}`);
      const node = after(to)!.node;
      if (node === this.node) local.events.add(to);
      else m.publish(k.nodeChannel(node), JSON.stringify({ type: 'events', userId: to } satisfies NodeMessage));
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
    const presenceChanged = presenceChanges(decision, (userId) => snapshot.users.get(userId));
    if (presenceChanged.length > 0) m.publish(k.presenceChannel, JSON.stringify(presenceChanged));
    for (const kick of decision.kicks) {
      if (kick.node === this.node) local.kicks.push(kick);
      else m.publish(k.nodeChannel(kick.node), JSON.stringify({ type: 'kick', kick } satisfies NodeMessage));
    }
    return local;
  }

  // ---- the cluster: node channel, timers, heartbeats ----

  private nodeMessage(text: string): void {
    const message = parse<NodeMessage | ClusterMessage>(text);
    if (!message) return;
    if (message.type === 'events') this.listeners.events((message as NodeMessage & { type: 'events' }).userId);
    else if (message.type === 'kick') this.listeners.kick((message as NodeMessage & { type: 'kick' }).kick);
    else if (message.type === 'signal') {
      const signal = message as NodeMessage & { type: 'signal' };
      this.listeners.signal?.(signal.userId, signal.message);
    } else this.handlers.get(message.type)?.(message as ClusterMessage);
  }

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
        if (input) this.listeners.input(input);
        releases.push((this.redis as RedisWithScripts).releaseTimer(this.keys.timers, this.keys.timerInputs, key, lease));
      }
      await Promise.all(releases);
    } catch {
      // Redis is away: the timers wait in Redis and fire when it is back.
    } finally {
      this.polling = false;
    }
  }

  private async beat(): Promise<void> {
    await this.redis.zadd(this.keys.nodes, Date.now(), this.node).catch(() => {});
  }

  /** Another node stopped beating: its users' sockets are gone, as if each had dropped. */
  private async sweepDeadNodes(): Promise<void> {
    try {
      const dead = await this.redis.zrangebyscore(this.keys.nodes, '-inf', Date.now() - this.options.nodeTimeoutMs);
      for (const node of dead) {
        if (node === this.node || (await this.redis.zrem(this.keys.nodes, node)) !== 1) continue;
        const userIds = await this.redis.smembers(this.keys.nodeUsers(node));
        const users = await this.userRecords(userIds);
        for (const [i, userId] of userIds.entries()) {
          const user = users[i];
          if (user?.node === node && user.connected) {
            const { sessionId, connectionId } = user;
            this.listeners.input({ kind: 'disconnect', userId, sessionId, connectionId, final: false });
          }
        }
      }
    } catch {
      // Try again on the next beat.
    }
  }

  private every(ms: number, task: () => Promise<void>): void {
    const interval = setInterval(() => void task(), ms);
    interval.unref();
    this.intervals.push(interval);
  }
}

type RedisWithScripts = Redis & {
  eventsAfter(seqKey: string, outboxKey: string, sessionId: string, afterSeq: number): Promise<unknown>;
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

function parse<T>(text: string | null): T | undefined {
  if (text === null || text === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
