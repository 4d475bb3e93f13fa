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
import { ThreadRequests } from './thread-requests.js';

const threadModule = new URL('./sqlite-reader-thread.js', import.meta.url);

/**
 * Reads a SQLite file from a worker thread: better-sqlite3 is synchronous, and a history page
 * read on the event loop would hold up every call while it runs. One thread, one read-only
 * connection; the queries queue there. A thread that dies is started again on the next query.
 */
export class SqliteReadWorker {
  static readonly available = ThreadRequests.available(threadModule);
  private readonly thread: ThreadRequests;

  constructor(path: string) {
    this.thread = new ThreadRequests(threadModule, { path }, 'reader');
  }

  /** The rows of one compiled query (a SELECT: the thread refuses anything else). */
  async query(sql: string, parameters: readonly unknown[]): Promise<unknown[]> {
    return ((await this.thread.send({ sql, parameters })) as unknown[] | undefined) ?? [];
  }

  close(): Promise<void> {
    return this.thread.close();
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
