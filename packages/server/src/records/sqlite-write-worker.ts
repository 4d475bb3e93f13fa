import type { RecordBatch } from './record-batch.js';
import type { CompiledStatements } from './record-statements.js';
import type { Purged } from './retention.js';
import { ThreadRequests } from './thread-requests.js';

const threadModule = new URL('./sqlite-writer-thread.js', import.meta.url);

/**
 * Writes record batches into a SQLite file from a worker thread: better-sqlite3 is synchronous and
 * a file write costs tens of microseconds per row, which must not stall the call path. A thread
 * that dies is started again on the next batch (the record writer retries the failed one).
 */
export class SqliteWriteWorker {
  static readonly available = ThreadRequests.available(threadModule);
  private readonly thread: ThreadRequests;

  constructor(path: string, statements: CompiledStatements) {
    this.thread = new ThreadRequests(threadModule, { path, statements }, 'writer');
  }

  /** Writes one batch (call rows, entry rows, wrap-ups) in one transaction of the thread. */
  async write(batch: RecordBatch): Promise<void> {
    await this.thread.send({ batch });
  }

  /** One step of the retention (sqlite-purge.ts), between two batches of the thread. */
  purge(before: number, limit: number): Promise<Purged> {
    return this.thread.send({ purge: { before, limit } }) as Promise<Purged>;
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
