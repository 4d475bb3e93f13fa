import type { Kysely } from 'kysely';
import type { CallPartiesTable, CallRecordRow, RecordsSchema } from './schema.js';

/** The party rows of call rows: the caller, and the callee unless it is the caller (a self call). */
export function partyRowsOf(rows: readonly Pick<CallRecordRow, 'call_id' | 'caller' | 'callee' | 'requested_at'>[]): CallPartiesTable[] {
  const parties: CallPartiesTable[] = [];
  for (const row of rows) {
    parties.push({ call_id: row.call_id, user_id: row.caller, requested_at: row.requested_at });
    if (row.callee !== row.caller) parties.push({ call_id: row.call_id, user_id: row.callee, requested_at: row.requested_at });
  }
  return parties;
}

/** Inserts party rows; one already there (every later step of the call) is left as it is. */
export function insertParties(db: Kysely<RecordsSchema>, rows: readonly CallPartiesTable[]) {
  return db
    .insertInto('call_parties')
    .values([...rows])
    .onConflict((conflict) => conflict.columns(['call_id', 'user_id']).doNothing());
}

export const CALL_PARTY_COLUMNS: (keyof CallPartiesTable)[] = ['call_id', 'user_id', 'requested_at'];
