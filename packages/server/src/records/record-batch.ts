import { mergeEntryRows } from './entry-rows.js';
import { mergeRows } from './record-rows.js';
import type { CallRecordRow, QueueEntryRow, WrapUpPatch } from './schema.js';

/** One write the record writer queues: a call row, an entry row, or a wrap-up for a call's record. */
export type RecordOp =
  | { kind: 'call'; row: CallRecordRow }
  | { kind: 'entry'; row: QueueEntryRow }
  | { kind: 'wrap-up'; patch: WrapUpPatch };

/**
 * What one transaction writes, in this order: call rows (upserted by call id), entry rows (the
 * higher version wins), then wrap-ups (which patch call rows, so they come after them).
 */
export interface RecordBatch {
  calls: readonly CallRecordRow[];
  entries: readonly QueueEntryRow[];
  wrapUps: readonly WrapUpPatch[];
}

/**
 * The batch of queued operations: rows of one call (or entry) merge into one. Grouping by kind
 * keeps every order that matters: a wrap-up only ever follows its call's rows, and the kinds
 * touch different columns.
 */
export function batchOf(ops: readonly RecordOp[]): RecordBatch {
  const calls: CallRecordRow[] = [];
  const entries: QueueEntryRow[] = [];
  const wrapUps: WrapUpPatch[] = [];
  for (const op of ops) {
    if (op.kind === 'call') calls.push(op.row);
    else if (op.kind === 'entry') entries.push(op.row);
    else wrapUps.push(op.patch);
  }
  return { calls: mergeRows(calls), entries: mergeEntryRows(entries), wrapUps };
}

export const batchSize = (batch: RecordBatch): number => batch.calls.length + batch.entries.length + batch.wrapUps.length;
