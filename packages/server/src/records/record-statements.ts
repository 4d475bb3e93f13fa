import type { Compilable, Kysely } from 'kysely';
import { CALL_PARTY_COLUMNS, insertParties } from './call-parties.js';
import type { CallPartiesTable } from './schema.js';
import { CALL_RECORD_COLUMNS, QUEUE_ENTRY_COLUMNS, RECOVERY, WRAP_UP_COLUMNS, type CallRecordRow, type QueueEntryRow, type RecordsSchema, type WrapUpPatch } from './schema.js';

/**
 * The statements the record writer runs, one kysely builder each for both databases
 * (docs/records.md, "When a record is written").
 */

type KeepColumn =
  | 'room_id'
  | 'ringing_at'
  | 'answered_at'
  | 'pushed'
  | 'woke_after_ms'
  | 'answered_on'
  | 'started_at' | 'ended_at' | 'duration_ms' | 'outcome' | 'error_code' | 'ended_by' | 'ended_in';

/**
 * The upsert of call records: a known column never turns back into null, and a record that ended
 * stays as it ended (unless recovery only guessed its end).
 */
export function upsertCalls(db: Kysely<RecordsSchema>, rows: readonly CallRecordRow[]) {
  return db
    .insertInto('call_records')
    .values([...rows])
    .onConflict((conflict) =>
      conflict
        .column('call_id')
        .doUpdateSet((eb) => {
          const known = <C extends KeepColumn>(column: C) => eb.fn.coalesce(eb.ref(`excluded.${column}`), eb.ref(`call_records.${column}`));
          return {
            phase: eb.ref('excluded.phase'),
            updated_at: eb.ref('excluded.updated_at'),
            room_id: known('room_id'),
            ringing_at: known('ringing_at'),
            answered_at: known('answered_at'),
            pushed: known('pushed'),
            woke_after_ms: known('woke_after_ms'),
            answered_on: known('answered_on'),
            started_at: known('started_at'),
            ended_at: known('ended_at'),
            duration_ms: known('duration_ms'),
            outcome: known('outcome'),
            error_code: known('error_code'),
            ended_by: known('ended_by'),
            ended_in: known('ended_in'),
          };
        })
        .where((eb) =>
          eb.or([
            eb('call_records.ended_at', 'is', null),
            eb.and([eb('call_records.ended_by', '=', RECOVERY), eb('excluded.ended_at', 'is not', null)]),
          ]),
        ),
    );
}

/**
 * The upsert of queue entry records: a row is a whole snapshot of the entry, and replaces the
 * stored one when its version is at least as new while the stored one is open; an ended record
 * stays as it ended, unless recovery only guessed its end (the same rule as `replaces` in
 * entry-rows.ts).
 */
export function upsertEntries(db: Kysely<RecordsSchema>, rows: readonly QueueEntryRow[]) {
  return db
    .insertInto('queue_entries')
    .values([...rows])
    .onConflict((conflict) =>
      conflict
        .column('entry_id')
        .doUpdateSet((eb) => {
          const excluded = <C extends Exclude<keyof QueueEntryRow, 'entry_id'>>(column: C) => eb.ref(`excluded.${column}`);
          return {
            queue: excluded('queue'),
            first_queue: excluded('first_queue'),
            customer: excluded('customer'),
            priority: excluded('priority'),
            flags: excluded('flags'),
            user_str: excluded('user_str'),
            state: excluded('state'),
            entered_at: excluded('entered_at'),
            queued_at: excluded('queued_at'),
            answered_at: excluded('answered_at'),
            ended_at: excluded('ended_at'),
            waited_ms: excluded('waited_ms'),
            outcome: excluded('outcome'),
            agent: excluded('agent'),
            call_id: excluded('call_id'),
            offers: excluded('offers'),
            transfers: excluded('transfers'),
            node: excluded('node'),
            version: excluded('version'),
            updated_at: excluded('updated_at'),
            ended_by: excluded('ended_by'),
          } satisfies Record<Exclude<keyof QueueEntryRow, 'entry_id'>, unknown>;
        })
        .where((eb) =>
          eb.or([
            eb.and([eb('queue_entries.ended_at', 'is', null), eb('excluded.version', '>=', eb.ref('queue_entries.version'))]),
            eb.and([eb('queue_entries.ended_by', '=', RECOVERY), eb('excluded.ended_at', 'is not', null)]),
          ]),
        ),
    );
}

/** A wrap-up into its call's record: the disposition and notes given, and the first wrap-up time. */
export function patchWrapUp(db: Kysely<RecordsSchema>, patch: WrapUpPatch) {
  return db
    .updateTable('call_records')
    .set((eb) => ({
      disposition: eb.fn.coalesce(eb.val(patch.disposition), eb.ref('disposition')),
      notes: eb.fn.coalesce(eb.val(patch.notes), eb.ref('notes')),
      wrapped_up_at: eb.fn.coalesce(eb.ref('wrapped_up_at'), eb.val(patch.wrapped_up_at)),
    }))
    .where('call_id', '=', patch.call_id);
}

/** A statement as SQLite runs it: its SQL, and where each row's values go among its parameters. */
export interface CompiledStatement<Row> {
  sql: string;
  /** Per parameter: a field of the row, or a fixed value of the statement. */
  slots: ({ column: keyof Row & string } | { value: unknown })[];
}

export interface CompiledStatements {
  call: CompiledStatement<CallRecordRow>;
  entry: CompiledStatement<QueueEntryRow>;
  wrapUp: CompiledStatement<WrapUpPatch>;
  /** One party row of a call (call-parties.ts). */
  party: CompiledStatement<CallPartiesTable>;
}

const marker = '\u0000column:';

/** Compiles `build` for one sample row whose every field is a marker, and maps the parameters back to fields. */
function compileFor<Row>(columns: readonly (keyof Row & string)[], build: (sample: Row) => Compilable): CompiledStatement<Row> {
  const sample = Object.fromEntries(columns.map((column) => [column, `${marker}${column}`])) as unknown as Row;
  const compiled = build(sample).compile();
  return {
    sql: compiled.sql,
    slots: compiled.parameters.map((value) =>
      typeof value === 'string' && value.startsWith(marker) ? { column: value.slice(marker.length) as keyof Row & string } : { value },
    ),
  };
}

/** The statements of one row each, compiled once for SQLite's prepared statements. */
export function compileStatements(db: Kysely<RecordsSchema>): CompiledStatements {
  return {
    call: compileFor(CALL_RECORD_COLUMNS, (row) => upsertCalls(db, [row])),
    entry: compileFor(QUEUE_ENTRY_COLUMNS, (row) => upsertEntries(db, [row])),
    wrapUp: compileFor(WRAP_UP_COLUMNS, (patch) => patchWrapUp(db, patch)),
    party: compileFor(CALL_PARTY_COLUMNS, (row) => insertParties(db, [row])),
  };
}
