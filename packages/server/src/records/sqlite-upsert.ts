import type Database from 'better-sqlite3';
import { partyRowsOf } from './call-parties.js';
import type { RecordBatch } from './record-batch.js';
import type { CompiledStatement, CompiledStatements } from './record-statements.js';

/** One prepared statement, bound row by row. */
function prepared<Row>(database: Database.Database, statement: CompiledStatement<Row>): (row: Row) => void {
  const prepared = database.prepare(statement.sql);
  return (row) => {
    prepared.run(statement.slots.map((slot) => ('column' in slot ? row[slot.column] : slot.value)));
  };
}

/** A writer of record batches: one prepared statement per kind, one transaction per batch. */
export function preparedBatchWriter(database: Database.Database, statements: CompiledStatements): (batch: RecordBatch) => void {
  const call = prepared(database, statements.call);
  const entry = prepared(database, statements.entry);
  const wrapUp = prepared(database, statements.wrapUp);
  const party = prepared(database, statements.party);
  return database.transaction((batch: RecordBatch) => {
    for (const row of batch.calls) call(row);
    for (const row of partyRowsOf(batch.calls)) party(row);
    for (const row of batch.entries) entry(row);
    for (const patch of batch.wrapUps) wrapUp(patch);
  });
}

/** Opens a SQLite file the way the records want it. */
export function tuneSqlite(database: Database.Database): void {
  database.pragma('journal_mode = WAL');
  // Committed writes survive a crash of the process; only an OS crash may lose the newest ones.
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
}
