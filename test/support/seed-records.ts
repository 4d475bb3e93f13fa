import Database from 'better-sqlite3';
import pg from 'pg';
import type { TestDatabase } from './databases.js';

/** A call record row as the records database holds it (docs/records.md, "Schema: call_records"). */
export interface SeedCall {
  call_id: string;
  caller: string;
  callee: string;
  requested_at: number;
  /** Null: a record still open. */
  ended_at: number | null;
  outcome?: string | null;
}

export interface SeedEntry {
  entry_id: string;
  customer: string;
  entered_at: number;
  ended_at: number | null;
}

const callColumns = ['call_id', 'caller', 'callee', 'flags', 'param', 'user_str', 'phase', 'node', 'requested_at', 'ended_at', 'outcome', 'error_code', 'ended_by', 'ended_in', 'updated_at'];
const entryColumns = ['entry_id', 'queue', 'first_queue', 'customer', 'priority', 'flags', 'user_str', 'state', 'entered_at', 'queued_at', 'ended_at', 'outcome', 'offers', 'transfers', 'node', 'version', 'updated_at'];

const callValues = (c: SeedCall): unknown[] => [
  c.call_id, c.caller, c.callee, 0, 0, '', c.ended_at === null ? 'ringing' : 'ended', 'seed', c.requested_at, c.ended_at,
  c.ended_at === null ? null : (c.outcome ?? 'offline'), c.ended_at === null ? null : 100102, c.ended_at === null ? null : 'server',
  c.ended_at === null ? null : 'requested', c.ended_at ?? c.requested_at,
];
const entryValues = (e: SeedEntry): unknown[] => [
  e.entry_id, 'seed-queue', 'seed-queue', e.customer, 0, 0, '', e.ended_at === null ? 'waiting' : 'ended', e.entered_at, e.entered_at, e.ended_at,
  e.ended_at === null ? null : 'abandoned', '[]', '[]', 'seed', 1, e.ended_at ?? e.entered_at,
];

/**
 * Runs SQL on a test database directly, behind the server's back: seeding records as an older
 * server would have left them, or reading what is stored.
 */
export class RecordsSql {
  private constructor(
    private readonly sqlite: Database.Database | undefined,
    private readonly pool: pg.Pool | undefined,
  ) {}

  static open(database: TestDatabase): RecordsSql {
    return database.kind === 'sqlite' ? new RecordsSql(new Database(database.db), undefined) : new RecordsSql(undefined, new pg.Pool({ connectionString: database.db, max: 1 }));
  }

  async run(statement: string, parameters: unknown[] = []): Promise<void> {
    if (this.sqlite) this.sqlite.prepare(statement).run(...parameters);
    else await this.pool!.query(statement, parameters);
  }

  async rows<T>(statement: string, parameters: unknown[] = []): Promise<T[]> {
    if (this.sqlite) return this.sqlite.prepare(statement).all(...parameters) as T[];
    return (await this.pool!.query(statement, parameters)).rows as T[];
  }

  async count(table: string, where = 'true'): Promise<number> {
    const [row] = await this.rows<{ n: number | string }>(`select count(*) as n from ${table} where ${where}`);
    return Number(row?.n);
  }

  /** Inserts rows `perStatement` at a time. */
  private async insert(table: string, columns: string[], rows: unknown[][], perStatement = 500): Promise<void> {
    for (let i = 0; i < rows.length; i += perStatement) {
      const chunk = rows.slice(i, i + perStatement);
      let n = 0;
      const placeholders = chunk.map((row) => `(${row.map(() => (this.sqlite ? '?' : `$${++n}`)).join(', ')})`).join(', ');
      await this.run(`insert into ${table} (${columns.join(', ')}) values ${placeholders}`, chunk.flat());
    }
  }

  async insertCalls(calls: readonly SeedCall[], withParties: boolean): Promise<void> {
    await this.insert('call_records', callColumns, calls.map(callValues));
    if (!withParties) return;
    const parties = calls.flatMap((c) => (c.caller === c.callee ? [[c.call_id, c.caller, c.requested_at]] : [[c.call_id, c.caller, c.requested_at], [c.call_id, c.callee, c.requested_at]]));
    await this.insert('call_parties', ['call_id', 'user_id', 'requested_at'], parties);
  }

  async insertEntries(entries: readonly SeedEntry[]): Promise<void> {
    await this.insert('queue_entries', entryColumns, entries.map(entryValues));
  }

  async close(): Promise<void> {
    this.sqlite?.close();
    await this.pool?.end();
  }
}
