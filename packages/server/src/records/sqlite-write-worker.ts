import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RecordBatch } from './record-batch.js';
import type { CompiledStatements } from './record-statements.js';
import type { Purged } from './retention.js';

const threadModule = new URL('./sqlite-writer-thread.js', import.meta.url);

/**
 * Writes record batches into a SQLite file from a worker thread: better-sqlite3 is synchronous and
 * a file write costs tens of microseconds per row, which must not stall the call path. A thread
 * that dies is started again on the next batch (the record writer retries the failed one).
 */
export class SqliteWriteWorker {
  /** Whether the thread's module is here (it is in the built package, not among the sources). */
  static readonly available = existsSync(fileURLToPath(threadModule));
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();

  constructor(
    private readonly path: string,
    private readonly statements: CompiledStatements,
  ) {}

  /** Writes one batch (call rows, entry rows, wrap-ups) in one transaction of the thread. */
  async write(batch: RecordBatch): Promise<void> {
    await this.send({ batch });
  }

  /** One step of the retention (sqlite-purge.ts), between two batches of the thread. */
  purge(before: number, limit: number): Promise<Purged> {
    return this.send({ purge: { before, limit } }) as Promise<Purged>;
  }

  private send(message: object): Promise<unknown> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, ...message });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ close: true });
    await exited;
  }

  private start(): Worker {
    const worker = new Worker(threadModule, {
      workerData: { path: this.path, statements: this.statements },
    });
    worker.on('message', (message: { id: number; error?: string; result?: unknown }) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.error === undefined) waiting.resolve(message.result);
      else waiting.reject(new Error(message.error));
    });
    const fail = (error: Error): void => {
      if (this.worker === worker) this.worker = null;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the records writer thread exited (${code})`)));
    this.worker = worker;
    return worker;
  }
}
