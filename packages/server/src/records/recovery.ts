import { ErrorCode } from '@callgate/protocol';
import type { StateBackend } from '../state/backend.js';
import type { QueueEntryStore } from './queue-entry-store.js';
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

/**
 * The open queue entry records that are stale, by the same rule as calls: the state backend no
 * longer holds their entry (other nodes' live entries are kept). Open records are read first.
 */
export async function staleEntryIds(openEntries: readonly { entry_id: string }[], backend: StateBackend): Promise<string[]> {
  if (openEntries.length === 0) return [];
  const live = new Set((await backend.liveEntries()).map((entry) => entry.entryId));
  return openEntries.filter((entry) => !live.has(entry.entry_id)).map((entry) => entry.entry_id);
}

/**
 * Closes the queue entry records a process that died left open: outcome `closed`, ended by
 * "recovery", at `now` (docs/records.md, "Recovery at start").
 */
export async function closeStaleEntries(entries: QueueEntryStore, backend: StateBackend, now: number): Promise<number> {
  const stale = await staleEntryIds(await entries.openEntries(), backend);
  if (stale.length === 0) return 0;
  return entries.closeOpen(stale, now);
}
