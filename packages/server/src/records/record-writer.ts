import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { CallTransition } from '../calls/types.js';
import type { QueueTransition } from '../queues/types.js';
import { entryRowOf, wrapUpPatchOf } from './entry-rows.js';
import { batchOf, type RecordBatch, type RecordOp } from './record-batch.js';
import { recordRowOf } from './record-rows.js';

/** Where batches go; CallRecordStore in the server. */
export interface RecordSink {
  writeBatch(batch: RecordBatch): Promise<void>;
}

/** Told about every batch, for metrics. */
export interface RecordWriterObserver {
  /** Operations committed (a call row, an entry row or a wrap-up each). */
  written(rows: number): void;
  failed(error: unknown): void;
}

export interface RecordWriterOptions {
  sink: RecordSink;
  logger: Logger;
  /** The node name stored with each record. */
  node: string;
  observer?: RecordWriterObserver;
  /** Operations (transitions) per transaction, at most. Default 1000. */
  maxBatch?: number;
  /**
   * How long the first queued transition waits for others to share its transaction. Default 10 ms:
   * a call's steps then often merge into one row, and the database sees tens of transactions a
   * second instead of thousands; a crash may lose at most this window's steps.
   */
  lingerMs?: number;
  /** Wait before retrying a failed batch; doubles up to `maxRetryDelayMs`. Defaults 100 and 5000. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

/**
 * Writes a call record at every call transition, and a queue entry record (or a wrap-up into a
 * call's record) at every queue transition, without holding up the call path: `record()` and
 * `recordQueue()` only queue. Whatever queued while a transaction was running goes into the next
 * one, in order. A batch that fails is retried, with backoff, until it is written: a record is
 * never dropped.
 */
export class RecordWriter {
  private readonly queue: RecordOp[] = [];
  private running: Promise<void> | null = null;
  private queued = 0;
  private written = 0;
  private readonly waiters: { seq: number; resolve: () => void }[] = [];
  private closed = false;
  private readonly maxBatch: number;
  private readonly lingerMs: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;

  constructor(private readonly options: RecordWriterOptions) {
    this.maxBatch = options.maxBatch ?? 1000;
    this.lingerMs = options.lingerMs ?? 10;
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 5000;
  }

  /** Records not yet committed, including the batch being written. */
  get depth(): number {
    return this.queue.length;
  }

  record(transition: CallTransition): void {
    this.push({ kind: 'call', row: recordRowOf(transition, this.options.node) });
  }

  /** A queue transition: the entry's row, or the wrap-up of a call; agent statuses write nothing. */
  recordQueue(transition: QueueTransition): void {
    const row = entryRowOf(transition, this.options.node);
    if (row) return this.push({ kind: 'entry', row });
    const patch = wrapUpPatchOf(transition);
    if (patch) this.push({ kind: 'wrap-up', patch });
  }

  private push(op: RecordOp): void {
    if (this.closed) {
      this.options.logger.error({ record: op }, 'record after the record writer closed; not written');
      return;
    }
    this.queue.push(op);
    this.queued += 1;
    this.running ??= this.run();
  }

  /**
   * Resolves true once every record queued before this call is committed, or false after
   * `timeoutMs` (a database that is down).
   */
  async settled(timeoutMs = Infinity): Promise<boolean> {
    const seq = this.queued;
    if (this.written >= seq) return true;
    const done = new Promise<true>((resolve) => this.waiters.push({ seq, resolve: () => resolve(true) }));
    if (!Number.isFinite(timeoutMs)) return done;
    const timer = new AbortController();
    const late = sleep(timeoutMs, false as const, { signal: timer.signal }).catch(() => false as const);
    const result = await Promise.race([done, late]);
    timer.abort();
    return result;
  }

  /** Writes everything queued. A record that comes after this is logged, not written. */
  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
  }

  private async run(): Promise<void> {
    try {
      // Let the transitions of the next few milliseconds join the first batch.
      if (this.lingerMs > 0) await sleep(this.lingerMs);
      else await nextTurn();
      while (this.queue.length > 0) {
        const batch = this.queue.slice(0, this.maxBatch);
        await this.writeUntilDone(batch);
        this.queue.splice(0, batch.length);
        this.written += batch.length;
        this.options.observer?.written(batch.length);
        this.wake();
      }
    } finally {
      this.running = null;
    }
  }

  private async writeUntilDone(ops: RecordOp[]): Promise<void> {
    const batch = batchOf(ops);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.sink.writeBatch(batch);
        if (attempt > 0) this.options.logger.info({ rows: ops.length, attempts: attempt + 1 }, 'call records written after retrying');
        return;
      } catch (error) {
        this.options.observer?.failed(error);
        const delay = Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** attempt);
        this.options.logger.warn(
          { err: error, rows: ops.length, queued: this.queue.length, retryInMs: delay },
          'writing call records failed; retrying',
        );
        await sleep(delay);
      }
    }
  }

  private wake(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i];
      if (waiter && waiter.seq <= this.written) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}
