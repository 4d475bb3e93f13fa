import type { Redis, ChainableCommander } from 'ioredis';
import type { EventMessage, PresenceEntry, SignalDeliveryMessage } from '@callgate/protocol';
import { readSet } from '../../calls/machine.js';
import type { CallInput, CallRecord, Decision, Kick, Snapshot, TimerInput, UserRecord } from '../../calls/types.js';
import {
  StateUnavailableError,
  presenceChanges,
  presenceEntry,
  type DeliveryListeners,
  type InputListener,
  type StateBackend,
} from '../backend.js';
import type { ClusterMessage } from '../cluster.js';
import { ConnectionPool } from './connection-pool.js';
import type { RedisCluster } from './redis-cluster.js';
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
  | { type: 'events'; userId: string }
  | { type: 'kick'; kick: Kick }
  | { type: 'signal'; userId: string; message: SignalDeliveryMessage }
  | { type: 'presence'; userIds: string[] };

const noDelivery: DeliveryListeners = { events() {}, kick() {} };
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
    on('events', (message) => this.delivery.events(message.userId));
    on('kick', (message) => this.delivery.kick(message.kick));
    on('signal', (message) => this.delivery.signal?.(message.userId, message.message));
    on('presence', (message) => this.delivery.presence?.(message.userIds));
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
    await this.cluster.sendToNode(node, { type: 'signal', userId, message } satisfies StateMessage);
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
      for (const kick of local.kicks) this.delivery.kick(kick);
      for (const userId of local.events) this.delivery.events(userId);
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
      else m.publish(k.nodeChannel(node), JSON.stringify({ type: 'events', userId: to } satisfies StateMessage));
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
    if (presenceChanged.length > 0) m.publish(k.broadcastChannel, JSON.stringify({ type: 'presence', userIds: presenceChanged } satisfies StateMessage));
    for (const kick of decision.kicks) {
      if (kick.node === this.node) local.kicks.push(kick);
      else m.publish(k.nodeChannel(kick.node), JSON.stringify({ type: 'kick', kick } satisfies StateMessage));
    }
    return local;
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
        const user = users[i];
        if (user?.node === node && user.connected) {
          const { sessionId, connectionId } = user;
          this.inputListener({ kind: 'disconnect', userId, sessionId, connectionId, final: false });
        }
      }
    } catch {
      // Their records stay; each user's own grace timer or reconnect settles it.
    }
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
