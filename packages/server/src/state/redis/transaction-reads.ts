import type { Redis } from 'ioredis';
import { readSet } from '../../calls/machine.js';
import type { CallInput, CallRecord, Snapshot, UserRecord } from '../../calls/types.js';
import type { EntryRecord, QueueView } from '../../queues/types.js';
import type { RedisKeys } from './keys.js';
import type { RecordCache } from './record-cache.js';
import type { DecisionWrites } from './decision-writes.js';
import { parseRecord, stampOf } from './record-stamps.js';

/** What a decision read that was not loaded yet. */
type Need =
  | { kind: 'user' | 'call' | 'entry'; id: string }
  | { kind: 'line' | 'available'; queue: string; upTo: number }
  | { kind: 'line-length'; queue: string };

/** Thrown by a read of something not loaded: the transaction loads it and decides again. */
export class Missing extends Error {
  constructor(readonly need: Need) {
    super(`not loaded: ${need.kind}`);
  }
}

/** A map that throws Missing for a key it was never given (present or absent). */
class OnDemandMap<V> extends Map<string, V> {
  private readonly known = new Set<string>();

  constructor(private readonly kind: 'user' | 'call') {
    super();
  }

  override get(key: string): V | undefined {
    if (!this.known.has(key)) throw new Missing({ kind: this.kind, id: key });
    return super.get(key);
  }

  override has(key: string): boolean {
    if (!this.known.has(key)) throw new Missing({ kind: this.kind, id: key });
    return super.has(key);
  }

  isLoaded(key: string): boolean {
    return this.known.has(key);
  }

  /** What was loaded for `key`, without throwing. */
  loaded(key: string): V | undefined {
    return super.get(key);
  }

  put(key: string, value: V | undefined): void {
    this.known.add(key);
    if (value === undefined) super.delete(key);
    else super.set(key, value);
  }
}

/** How many records one load reads at most. */
const BATCH = 100;

/**
 * The reads of one decision attempt on Redis. The users and calls an input names are loaded
 * first (with the calls they are in and those calls' parties), from the record cache where it
 * has them; anything else a decision reads (an agent found through a queue's available list, an
 * entry, a slice of a line) throws Missing, is loaded, and the decision is made again on what is
 * loaded. Each load reads a batch: what the decision is likely to read next. Every value read is
 * kept, so that the decision script can check that none changed before it writes.
 */
export class TransactionReads {
  readonly users = new OnDemandMap<UserRecord>('user');
  readonly calls = new OnDemandMap<CallRecord>('call');
  /** Every record key read, with the value read (null: absent). */
  private readonly observed = new Map<string, string | null>();
  /** Sorted sets read: up to which rank, and the ids read joined by newlines; or their lengths. */
  private readonly rangesRead = new Map<string, { stop: number; read: string }>();
  private readonly lengthsRead = new Map<string, number>();
  private readonly entryRecords = new Map<string, EntryRecord | null>();
  private readonly ranges = { line: new Map<string, string[]>(), available: new Map<string, string[]>() };
  private readonly complete = { line: new Set<string>(), available: new Set<string>() };
  private readonly lineLengths = new Map<string, number>();

  readonly view: QueueView = {
    entry: (entryId) => {
      if (!this.entryRecords.has(entryId)) throw new Missing({ kind: 'entry', id: entryId });
      return this.entryRecords.get(entryId) ?? undefined;
    },
    line: (queue, from, count) => this.range('line', queue, from, count),
    lineLength: (queue) => {
      const length = this.lineLengths.get(queue);
      if (length === undefined) throw new Missing({ kind: 'line-length', queue });
      return length;
    },
    available: (queue, from, count) => this.range('available', queue, from, count),
  };

  constructor(
    private readonly connection: Redis,
    private readonly keys: RedisKeys,
    private readonly cache: RecordCache,
  ) {}

  /** Adds every read to the script's checks. */
  checkAll(writes: DecisionWrites): void {
    for (const [key, value] of this.observed) writes.check(key, value === null ? null : stampOf(value));
    for (const [key, { stop, read }] of this.rangesRead) writes.checkRange(key, stop, read);
    for (const [key, length] of this.lengthsRead) writes.checkRange(key, -1, String(length));
  }

  /** The string keys read (forgotten by the cache when the commit found one changed). */
  observedKeys(): IterableIterator<string> {
    return this.observed.keys();
  }

  get snapshot(): Snapshot {
    return { users: this.users, calls: this.calls, queues: this.view };
  }

  /** A loaded user's record as it was read (for the commit), without throwing. */
  userBefore(userId: string): UserRecord | undefined {
    return this.users.loaded(userId);
  }

  callBefore(callId: string): CallRecord | undefined {
    return this.calls.loaded(callId);
  }

  entryBefore(entryId: string): EntryRecord | undefined {
    return this.entryRecords.get(entryId) ?? undefined;
  }

  /** The users and calls `input` names, the calls those users are in, and the parties of those calls. */
  async preload(input: CallInput): Promise<void> {
    const wanted = readSet(input);
    await this.loadUsers(wanted.users);
    await this.loadCalls([...wanted.calls, ...[...this.users.values()].map((user) => user.callId)]);
    await this.loadUsers([...this.calls.values()].flatMap((call) => [call.caller, call.callee]));
  }

  async load(need: Need): Promise<void> {
    switch (need.kind) {
      case 'user':
        return this.loadUsers([need.id, ...this.likelyUsers()]);
      case 'call':
        return this.loadCalls([need.id]);
      case 'entry':
        return this.loadEntries([need.id, ...this.likelyEntries()]);
      case 'line-length': {
        const key = this.keys.line(need.queue);
        const length = await this.connection.zcard(key);
        this.lengthsRead.set(key, length);
        this.lineLengths.set(need.queue, length);
        return;
      }
      case 'line':
      case 'available': {
        const key = need.kind === 'line' ? this.keys.line(need.queue) : this.keys.available(need.queue);
        const list = await this.connection.zrange(key, 0, need.upTo - 1);
        this.rangesRead.set(key, { stop: need.upTo - 1, read: list.join('\n') });
        this.ranges[need.kind].set(need.queue, list);
        if (list.length < need.upTo) this.complete[need.kind].add(need.queue);
        return;
      }
    }
  }

  private range(kind: 'line' | 'available', queue: string, from: number, count: number): string[] {
    const ids = this.ranges[kind].get(queue);
    if (ids && (this.complete[kind].has(queue) || ids.length >= from + count)) return ids.slice(from, from + count);
    throw new Missing({ kind, queue, upTo: Math.max(from + count, 2 * (ids?.length ?? 0), 10) });
  }

  /** Users a decision reads after the one it missed: agents of the loaded lists, customers of the loaded entries. */
  private likelyUsers(): string[] {
    const customers = [...this.entryRecords.values()].flatMap((entry) => (entry ? [entry.customer] : []));
    return [...[...this.ranges.available.values()].flat(), ...customers].filter((id) => !this.users.isLoaded(id));
  }

  private likelyEntries(): string[] {
    return [...this.ranges.line.values()].flat().filter((id) => !this.entryRecords.has(id));
  }

  private async loadUsers(ids: readonly string[]): Promise<void> {
    const fresh = [...new Set(ids)].filter((id) => !this.users.isLoaded(id)).slice(0, BATCH);
    const read = await this.read(fresh.map(this.keys.user));
    fresh.forEach((id, i) => this.users.put(id, parseRecord<UserRecord>(read[i])));
  }

  private async loadCalls(ids: readonly (string | null)[]): Promise<void> {
    const fresh = [...new Set(ids)].filter((id): id is string => id !== null && !this.calls.isLoaded(id));
    const read = await this.read(fresh.map(this.keys.call));
    fresh.forEach((id, i) => this.calls.put(id, parseRecord<CallRecord>(read[i])));
  }

  private async loadEntries(ids: readonly string[]): Promise<void> {
    const fresh = [...new Set(ids)].filter((id) => !this.entryRecords.has(id)).slice(0, BATCH);
    const read = await this.read(fresh.map(this.keys.entry));
    fresh.forEach((id, i) => this.entryRecords.set(id, parseRecord<EntryRecord>(read[i]) ?? null));
  }

  /** The values of `keys` (null: absent): from the cache where it has them, the rest in one MGET. */
  private async read(keys: readonly string[]): Promise<(string | null)[]> {
    const values = new Map<string, string | null>();
    for (const key of keys) {
      const cached = this.cache.get(key);
      if (cached !== undefined) values.set(key, cached);
    }
    const missing = keys.filter((key) => !values.has(key));
    const fetched = missing.length > 0 ? await this.connection.mget(...missing) : [];
    missing.forEach((key, i) => {
      values.set(key, fetched[i] ?? null);
      this.cache.set(key, fetched[i] ?? null);
    });
    return keys.map((key) => {
      const value = values.get(key) ?? null;
      this.observed.set(key, value);
      return value;
    });
  }
}
