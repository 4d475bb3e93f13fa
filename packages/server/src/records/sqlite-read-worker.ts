import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
} from 'kysely';

const threadModule = new URL('./sqlite-reader-thread.js', import.meta.url);

/**
 * Reads a SQLite file from a worker thread: better-sqlite3 is synchronous, and a history page
 * read on the event loop would hold up every call while it runs. One thread, one read-only
 * connection; the queries queue there. A thread that dies is started again on the next query.
 */
export class SqliteReadWorker {
  /** Whether the thread's module is here (it is in the built package, not among the sources). */
  static readonly available = existsSync(fileURLToPath(threadModule));
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (rows: unknown[]) => void; reject: (error: Error) => void }>();

  constructor(private readonly path: string) {}

  /** The rows of one compiled query (a SELECT: the thread refuses anything else). */
  query(sql: string, parameters: readonly unknown[]): Promise<unknown[]> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, sql, parameters });
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
    const worker = new Worker(threadModule, { workerData: { path: this.path } });
    worker.on('message', (message: { id: number; rows?: unknown[]; error?: string }) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.error === undefined) waiting.resolve(message.rows ?? []);
      else waiting.reject(new Error(message.error));
    });
    const fail = (error: Error): void => {
      if (this.worker === worker) this.worker = null;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the records reader thread exited (${code})`)));
    this.worker = worker;
    return worker;
  }
}

/** The one connection of the read dialect: every query goes to the thread; no transactions. */
class ReadConnection implements DatabaseConnection {
  constructor(private readonly worker: SqliteReadWorker) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    return { rows: (await this.worker.query(compiled.sql, compiled.parameters)) as R[] };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('the records reader does not stream');
  }
}

class ReadDriver implements Driver {
  private readonly connection: ReadConnection;

  constructor(private readonly worker: SqliteReadWorker) {
    this.connection = new ReadConnection(worker);
  }

  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.connection;
  }
  async beginTransaction(): Promise<void> {
    throw new Error('the records reader has no transactions: write through the records database');
  }
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {
    await this.worker.close();
  }
}

/** SQLite's SQL, run in the reader thread. */
class SqliteReadDialect implements Dialect {
  constructor(private readonly worker: SqliteReadWorker) {}
  createAdapter() {
    return new SqliteAdapter();
  }
  createDriver(): Driver {
    return new ReadDriver(this.worker);
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new SqliteIntrospector(db);
  }
}

/** A kysely database whose queries (reads only) run in a thread of their own on the SQLite file at `path`. */
export function sqliteReader<Schema>(path: string): Kysely<Schema> {
  return new Kysely<Schema>({ dialect: new SqliteReadDialect(new SqliteReadWorker(path)) });
}
