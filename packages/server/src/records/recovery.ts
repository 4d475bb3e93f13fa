import { ErrorCode } from '@callgate/protocol';
import type { StateBackend } from '../state/backend.js';
import type { CallRecordStore } from './record-store.js';
import { RECOVERY } from './schema.js';

/**
 * The one place that decides which open records a starting server may close. A record is stale
 * when the state backend no longer holds its call: with the in-memory backend nothing survives a
 * restart, so every open record is stale; with a state store shared by several nodes, the calls
 * other nodes still run are kept. Open records are read before live calls, so a call that starts
 * meanwhile is never taken for stale.
 */
export async function staleRecordIds(
  openRecords: readonly { call_id: string }[],
  backend: StateBackend,
): Promise<string[]> {
  if (openRecords.length === 0) return [];
  const live = new Set((await backend.liveCalls()).map((call) => call.callId));
  return openRecords.filter((record) => !live.has(record.call_id)).map((record) => record.call_id);
}

/**
 * Closes the records that a process which stopped without ending its calls (a crash, kill -9)
 * left open: outcome `disconnected`, error code DISCONNECT, ended by "recovery", at `now`.
 */
export async function closeStaleRecords(store: CallRecordStore, backend: StateBackend, now: number): Promise<number> {
  const stale = await staleRecordIds(await store.openRecords(), backend);
  if (stale.length === 0) return 0;
  return store.endOpen(stale, { at: now, outcome: 'disconnected', errorCode: ErrorCode.DISCONNECT, endedBy: RECOVERY });
}
