import type { Redis } from 'ioredis';
import { readSet } from '../../calls/machine.js';
import type { CallInput, CallRecord, Snapshot, UserRecord } from '../../calls/types.js';
import type { EntryRecord, QueueView } from '../../queues/types.js';
import type { RedisKeys } from './keys.js';

/** What a decision read that was not loaded yet. */
type Need =
  | { kind: 'user' | 'call' | 'entry'; id: string }
  | { kind: 'line' | 'available'; queue: string; upTo: number }
  | { kind: 'line-length'; queue: string };

/** Thrown by a read of something not loaded: the transaction loads it (WATCHing it) and decides again. */
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
 * The reads of one Redis transaction attempt. The users and calls an input names are loaded
 * first (with the calls they are in and those calls' parties); anything else a decision reads
 * (an agent found through a queue's available list, an entry, a slice of a line) throws Missing,
 * is loaded — every key WATCHed before it is read — and the decision is made again on what is
 * loaded. Each load reads a batch: what the decision is likely to read next.
 */
export class TransactionReads {
  readonly users = new OnDemandMap<UserRecord>('user');
  readonly calls = new OnDemandMap<CallRecord>('call');
  /** Per loaded user: deviceId → "sessionId lastSeq" of that device's outbox. */
  readonly seqs = new Map<string, Record<string, string>>();
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
  ) {}

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
        const [length] = await this.watchAnd([key], (p) => p.zcard(key));
        this.lineLengths.set(need.queue, Number(length ?? 0));
        return;
      }
      case 'line':
      case 'available': {
        const key = need.kind === 'line' ? this.keys.line(need.queue) : this.keys.available(need.queue);
        const [ids] = await this.watchAnd([key], (p) => p.zrange(key, 0, need.upTo - 1));
        const list = (ids as string[] | null) ?? [];
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
    const fresh = [...new Set(ids)].filter((id) => !this.seqs.has(id)).slice(0, BATCH);
    if (fresh.length === 0) return;
    const userKeys = fresh.map(this.keys.user);
    const seqKeys = fresh.map(this.keys.seq);
    const [values, ...seqs] = await this.watchAnd([...userKeys, ...seqKeys], (p) => {
      p.mget(...userKeys);
      for (const key of seqKeys) p.hgetall(key);
    });
    const read = (values as (string | null)[] | null) ?? [];
    fresh.forEach((id, i) => {
      this.users.put(id, parse<UserRecord>(read[i] ?? null));
      this.seqs.set(id, (seqs[i] as Record<string, string> | null) ?? {});
    });
  }

  private async loadCalls(ids: readonly (string | null)[]): Promise<void> {
    const fresh = [...new Set(ids)].filter((id): id is string => id !== null && !this.calls.isLoaded(id));
    if (fresh.length === 0) return;
    const keys = fresh.map(this.keys.call);
    const [values] = await this.watchAnd(keys, (p) => p.mget(...keys));
    const read = (values as (string | null)[] | null) ?? [];
    fresh.forEach((id, i) => this.calls.put(id, parse<CallRecord>(read[i] ?? null)));
  }

  private async loadEntries(ids: readonly string[]): Promise<void> {
    const fresh = [...new Set(ids)].filter((id) => !this.entryRecords.has(id)).slice(0, BATCH);
    if (fresh.length === 0) return;
    const keys = fresh.map(this.keys.entry);
    const [values] = await this.watchAnd(keys, (p) => p.mget(...keys));
    const read = (values as (string | null)[] | null) ?? [];
    fresh.forEach((id, i) => this.entryRecords.set(id, parse<EntryRecord>(read[i] ?? null) ?? null));
  }

  /** WATCHes `keys`, then runs `read` in the same round trip; resolves to the read's replies. */
  private async watchAnd(keys: string[], read: (pipeline: ReturnType<Redis['pipeline']>) => unknown): Promise<unknown[]> {
    const pipeline = this.connection.pipeline().watch(...keys);
    read(pipeline);
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([error]) => error);
    if (failed) throw failed[0];
    if (replies.length < 2) throw new Error('WATCH: no reply');
    return replies.slice(1).map(([, value]) => value);
  }
}

export function parse<T>(text: string | null): T | undefined {
  if (text === null || text === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
