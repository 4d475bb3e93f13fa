import type { CallTransition } from '../calls/types.js';
import type { CallRecordRow } from './schema.js';

/** PostgreSQL text cannot hold NUL; it is the one character a record does not keep as sent. */
export const storableText = (text: string): string => (text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text);

/**
 * The row a transition writes. Each transition carries the whole call, so the row is complete
 * for what is known so far; the columns of later steps stay null, and an upsert never turns a
 * known value back into null (see CallRecordStore.write).
 */
export function recordRowOf(transition: CallTransition, node: string): CallRecordRow {
  const { call, at } = transition;
  const row: CallRecordRow = {
    call_id: call.callId,
    caller: call.caller,
    callee: call.callee,
    flags: call.flags,
    param: call.param,
    user_str: storableText(call.userStr),
    room_id: call.roomId === 0 ? null : call.roomId,
    phase: call.phase,
    node,
    requested_at: call.requestedAt,
    ringing_at: null,
    answered_at: call.answeredAt === 0 ? null : call.answeredAt,
    started_at: call.startedAt === 0 ? null : call.startedAt,
    ended_at: null,
    duration_ms: null,
    outcome: null,
    error_code: null,
    ended_by: null,
    ended_in: null,
    updated_at: at,
    queue: call.queue ?? null,
    entry_id: call.entryId ?? null,
    pushed: call.waking ? Number(call.waking.pushed) : null,
    woke_after_ms: null,
    answered_on: call.phase === 'talking' ? (call.calleeDevice ?? null) : null,
  };
  switch (transition.type) {
    case 'requested':
      return row;
    case 'ringing':
      return transition.woke ? { ...row, ringing_at: at, pushed: Number(transition.woke.pushed), woke_after_ms: transition.woke.afterMs } : { ...row, ringing_at: at };
    case 'started':
      return row;
    case 'ended':
      return {
        ...row,
        phase: 'ended',
        ended_at: at,
        duration_ms: row.started_at === null ? null : Math.max(0, (transition.talkEndedAt ?? at) - row.started_at),
        outcome: transition.outcome,
        error_code: transition.step.errorCode,
        ended_by: transition.endedBy,
        ended_in: transition.endedIn,
      };
  }
}

/** One row per call: a later row's known values win over an earlier row's. */
export function mergeRows(rows: readonly CallRecordRow[]): CallRecordRow[] {
  const byCall = new Map<string, CallRecordRow>();
  for (const row of rows) {
    const earlier = byCall.get(row.call_id);
    if (!earlier) {
      byCall.set(row.call_id, row);
      continue;
    }
    const merged: Record<string, unknown> = { ...earlier };
    for (const [column, value] of Object.entries(row)) if (value !== null) merged[column] = value;
    byCall.set(row.call_id, merged as unknown as CallRecordRow);
  }
  return [...byCall.values()];
}
