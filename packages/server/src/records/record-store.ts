import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Compilable } from 'kysely';
import pg from 'pg';
import { recordMigrations } from './migrations.js';
import { batchSize, type RecordBatch } from './record-batch.js';
import { compileStatements, patchWrapUp, upsertCalls, upsertEntries } from './record-statements.js';
import type { CallRecordRow, CallRecordsTable, RecordsSchema } from './schema.js';
import { preparedBatchWriter, tuneSqlite } from './sqlite-upsert.js';
import { sqlitePurger } from './sqlite-purge.js';
import type { Purged } from './retention.js';
import { SqliteWriteWorker } from './sqlite-write-worker.js';
import { SqliteReadWorker, sqliteReader } from './sqlite-read-worker.js';
import { insertParties, partyRowsOf } from './call-parties.js';


/** Newest first: a page starts after this record. */
export interface RecordPosition {
  requestedAt: number;
  callId: string;
}

export interface RecordQuery {
  /** Calls this user was in (as caller, callee or either, by `role`). */
  user?: string;
  role?: 'caller' | 'callee' | 'any';
  outcomes?: readonly string[];
  after?: RecordPosition;
  limit: number;
}

/** PostgreSQL returns bigint (int8) as a string; every bigint we store fits a double exactly. */
const INT8_OID = 20;
const pgTypes = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format),
};

/** Rows per INSERT: well under SQLite's and PostgreSQL's limits on bound parameters. */
const ROWS_PER_STATEMENT = 400;

export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

/** The database named by `--db`, for logs: a PostgreSQL URL without its password. */
export function describeDb(db: string): string {
  if (!isPostgresUrl(db)) return db === ':memory:' ? 'SQLite in memory' : `SQLite ${resolve(db)}`;
  try {
    const url = new URL(db);
    if (url.password) url.password = '***';
    return `PostgreSQL ${url.toString()}`;
  } catch {
    return 'PostgreSQL (unparsable URL)';
  }
}

/**
 * The query of a history page. Each shape is one range of one index, so a page costs O(limit)
 * however many records come before it: a user's calls in either role from call_parties
 * (user_id, requested_at, call_id), as caller or callee from call_records' own (caller|callee,
 * requested_at, call_id), everyone's from (requested_at, call_id); the cursor is a row-value
 * comparison on the same columns. (An `outcome` filter is checked on the rows the range yields.)
 */
export function historyQuery(db: Kysely<RecordsSchema>, query: RecordQuery): Compilable<CallRecordsTable> & { execute(): Promise<CallRecordsTable[]> } {
  const { user, role = 'any', outcomes, after } = query;
  if (user !== undefined && role === 'any') {
    let select = db.selectFrom('call_parties as p').innerJoin('call_records as r', 'r.call_id', 'p.call_id').selectAll('r').where('p.user_id', '=', user);
    if (outcomes && outcomes.length > 0) select = select.where('r.outcome', 'in', outcomes);
    if (after) select = select.where((eb) => eb(eb.refTuple('p.requested_at', 'p.call_id'), '<', eb.tuple(after.requestedAt, after.callId)));
    return select.orderBy('p.requested_at', 'desc').orderBy('p.call_id', 'desc').limit(query.limit);
  }
  let select = db.selectFrom('call_records').selectAll();
  if (user !== undefined) select = select.where(role === 'caller' ? 'caller' : 'callee', '=', user);
  if (outcomes && outcomes.length > 0) select = select.where('outcome', 'in', outcomes);
  if (after) select = select.where((eb) => eb(eb.refTuple('requested_at', 'call_id'), '<', eb.tuple(after.requestedAt, after.callId)));
  return select.orderBy('requested_at', 'desc').orderBy('call_id', 'desc').limit(query.limit);
}

/** Call records in SQLite (a file path or ":memory:") or PostgreSQL (a postgres:// URL): one code path. */
export class CallRecordStore {
  /** SQLite only: how batches are written (in a worker thread for a file, inline in memory). */
  private sqliteWrite: ((batch: RecordBatch) => Promise<void>) | undefined;
  /** SQLite only: one step of the retention, where the writes run. */
  private sqlitePurge: ((before: number, limit: number) => Promise<Purged>) | undefined;
  private writeWorker: SqliteWriteWorker | undefined;
  /** Where reads run: a SQLite file's reader thread, else the database itself. */
  private reader: Kysely<RecordsSchema> | undefined;

  private constructor(
    private readonly db: Kysely<RecordsSchema>,
    readonly description: string,
    private readonly sqliteDatabase?: Database.Database,
    private readonly sqlitePath?: string,
  ) {}

  /** The database, for the other stores that live in it (queue definitions, entries). */
  get database(): Kysely<RecordsSchema> {
    return this.db;
  }

  /**
   * The database for reads only (history, entries, statistics, handle times): for a SQLite file a
   * reader thread (sqlite-read-worker.ts), so that no read runs on the event loop; PostgreSQL is
   * asynchronous already, and a SQLite database in memory cannot be shared with a thread.
   */
  get reads(): Kysely<RecordsSchema> {
    return this.reader ?? this.db;
  }

  /** Opens the database and applies every migration not applied yet. */
  static async open(db: string, onPoolError: (error: Error) => void = () => {}): Promise<CallRecordStore> {
    const description = describeDb(db);
    let store: CallRecordStore;
    try {
      store = isPostgresUrl(db) ? CallRecordStore.postgres(db, description, onPoolError) : CallRecordStore.sqlite(db, description);
    } catch (error) {
      throw new Error(`cannot open the records database (${description}): ${(error as Error).message}`, { cause: error });
    }
    try {
      await store.migrateWithRetry();
      store.prepareSqliteWrites();
    } catch (error) {
      await store.close().catch(() => {});
      throw new Error(`cannot prepare the records database (${description}): ${(error as Error).message}`, { cause: error });
    }
    return store;
  }

  private static sqlite(path: string, description: string): CallRecordStore {
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    const database = new Database(path);
    tuneSqlite(database);
    return new CallRecordStore(new Kysely({ dialect: new SqliteDialect({ database }) }), description, database, path);
  }

  private static postgres(url: string, description: string, onPoolError: (error: Error) => void): CallRecordStore {
    const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 3000, types: pgTypes });
    pool.on('error', onPoolError);
    return new CallRecordStore(new Kysely({ dialect: new PostgresDialect({ pool }) }), description);
  }

  /**
   * Nodes that start together on one database may race to migrate it; the loser fails on what the
   * winner just created, and a second look finds the migration done.
   */
  private async migrateWithRetry(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.migrate();
        return;
      } catch (error) {
        if (attempt >= 3) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  private async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: recordMigrations, migrationTableName: 'callgate_migrations', migrationLockTableName: 'callgate_migrations_lock' });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName;
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(failed ? `migration ${failed} failed: ${message}` : message, { cause: error });
    }
  }

  /**
   * Upserts call rows by call id, in one transaction. A row's null columns never overwrite known
   * values, and a record that has ended is not changed again, except that a real end replaces
   * the guess of recovery (another node may still have had that end in its queue).
   */
  async write(rows: readonly CallRecordRow[]): Promise<void> {
    await this.writeBatch({ calls: rows, entries: [], wrapUps: [] });
  }

  /**
   * Writes a batch in one transaction: call rows (as `write`), then queue entry rows (the newest
   * version of an open entry wins; an ended one stays, unless recovery closed it), then wrap-ups
   * into their calls' records.
   */
  async writeBatch(batch: RecordBatch): Promise<void> {
    if (batchSize(batch) === 0) return;
    if (this.sqliteWrite) {
      await this.sqliteWrite(batch);
      return;
    }
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < batch.calls.length; i += ROWS_PER_STATEMENT) await upsertCalls(trx, batch.calls.slice(i, i + ROWS_PER_STATEMENT)).execute();
      const parties = partyRowsOf(batch.calls);
      for (let i = 0; i < parties.length; i += ROWS_PER_STATEMENT) await insertParties(trx, parties.slice(i, i + ROWS_PER_STATEMENT)).execute();
      for (let i = 0; i < batch.entries.length; i += ROWS_PER_STATEMENT) await upsertEntries(trx, batch.entries.slice(i, i + ROWS_PER_STATEMENT)).execute();
      for (const patch of batch.wrapUps) await patchWrapUp(trx, patch).execute();
    });
  }

  /** Records that have not ended, oldest first. */
  async openRecords(): Promise<Pick<CallRecordRow, 'call_id'>[]> {
    return this.db
      .selectFrom('call_records')
      .select(['call_id'])
      .where('ended_at', 'is', null)
      .orderBy('requested_at')
      .execute();
  }

  /** Ends open records as `outcome` at `at`; returns how many it changed. */
  async endOpen(
    callIds: readonly string[],
    ending: { at: number; outcome: string; errorCode: number; endedBy: string },
  ): Promise<number> {
    let changed = 0;
    for (let i = 0; i < callIds.length; i += ROWS_PER_STATEMENT) {
      const result = await this.db
        .updateTable('call_records')
        .set({
          phase: 'ended',
          ended_in: sql<string>`phase`,
          ended_at: ending.at,
          duration_ms: sql<number | null>`case when started_at is null then null else cast(${ending.at} as bigint) - started_at end`,
          outcome: ending.outcome,
          error_code: ending.errorCode,
          ended_by: ending.endedBy,
          updated_at: ending.at,
        })
        .where('call_id', 'in', callIds.slice(i, i + ROWS_PER_STATEMENT))
        .where('ended_at', 'is', null)
        .executeTakeFirst();
      changed += Number(result.numUpdatedRows);
    }
    return changed;
  }

  /** Records matching `query`, newest first (by request time, then call id): see `historyQuery`. */
  async list(query: RecordQuery): Promise<CallRecordsTable[]> {
    return historyQuery(this.reads, query).execute();
  }

  async get(callId: string): Promise<CallRecordsTable | undefined> {
    return this.reads.selectFrom('call_records').selectAll().where('call_id', '=', callId).executeTakeFirst();
  }

  /**
   * One step of the retention: removes up to `limit` ended call records that ended before
   * `before` (with their party rows), and up to `limit` such queue entries, in one transaction
   * (docs/records.md, "Retention"). Open records are never removed.
   */
  async purge(before: number, limit: number): Promise<Purged> {
    if (this.sqlitePurge) return this.sqlitePurge(before, limit);
    return this.db.transaction().execute(async (trx) => {
      const calls = (await trx.selectFrom('call_records').select('call_id').where('ended_at', '<', before).orderBy('ended_at').limit(limit).execute()).map((r) => r.call_id);
      const entries = (await trx.selectFrom('queue_entries').select('entry_id').where('ended_at', '<', before).orderBy('ended_at').limit(limit).execute()).map((r) => r.entry_id);
      let purged: Purged = { calls: 0, entries: 0 };
      if (calls.length > 0) {
        await trx.deleteFrom('call_parties').where('call_id', 'in', calls).execute();
        purged = { ...purged, calls: Number((await trx.deleteFrom('call_records').where('call_id', 'in', calls).executeTakeFirst()).numDeletedRows) };
      }
      if (entries.length > 0) {
        purged = { ...purged, entries: Number((await trx.deleteFrom('queue_entries').where('entry_id', 'in', entries).executeTakeFirst()).numDeletedRows) };
      }
      return purged;
    });
  }

  /** Whether the database answers now. */
  async ready(): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.db);
      return true;
    } catch {
      return false;
    }
  }

  private prepareSqliteWrites(): void {
    if (!this.sqliteDatabase || !this.sqlitePath) return;
    const statements = compileStatements(this.db);
    // A database in memory cannot be shared with a thread; neither can the TypeScript sources
    // (tests import them): both write on this thread.
    if (this.sqlitePath === ':memory:' || !SqliteWriteWorker.available) {
      const write = preparedBatchWriter(this.sqliteDatabase, statements);
      this.sqliteWrite = async (batch) => write(batch);
      const purge = sqlitePurger(this.sqliteDatabase);
      this.sqlitePurge = async (before, limit) => purge(before, limit);
      return;
    }
    const worker = new SqliteWriteWorker(resolve(this.sqlitePath), statements);
    this.writeWorker = worker;
    this.sqliteWrite = (batch) => worker.write(batch);
    this.sqlitePurge = (before, limit) => worker.purge(before, limit);
    if (SqliteReadWorker.available) this.reader = sqliteReader<RecordsSchema>(resolve(this.sqlitePath));
  }

  async close(): Promise<void> {
    await this.writeWorker?.close();
    await this.reader?.destroy();
    await this.db.destroy();
  }
}
