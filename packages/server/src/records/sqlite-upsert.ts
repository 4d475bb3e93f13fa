import type Database from 'better-sqlite3';
import type { CallRecordRow } from './schema.js';

/** The record upsert as SQLite runs it: its SQL, and where each row's values go among its parameters. */
export interface CompiledUpsert {
  sql: string;
  /** Per parameter: a column of the row, or a fixed value of the statement. */
  slots: ({ column: keyof CallRecordRow } | { value: unknown })[];
}

/** A writer of row batches: one prepared statement, one transaction per batch. */
export function preparedUpsert(database: Database.Database, upsert: CompiledUpsert): (rows: readonly CallRecordRow[]) => void {
  const statement = database.prepare(upsert.sql);
  return database.transaction((rows: readonly CallRecordRow[]) => {
    for (const row of rows) statement.run(upsert.slots.map((slot) => ('column' in slot ? row[slot.column] : slot.value)));
  });
}

/** Opens a SQLite file the way the records want it. */
export function tuneSqlite(database: Database.Database): void {
  database.pragma('journal_mode = WAL');
  // Committed writes survive a crash of the process; only an OS crash may lose the newest ones.
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
}
