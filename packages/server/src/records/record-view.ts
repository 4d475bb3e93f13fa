import type { CallOutcome } from '../calls/types.js';
import type { RecordPosition } from './record-store.js';
import type { CallRecordsTable } from './schema.js';

/** A call record as the history API returns it. Times are ISO 8601 strings, null until reached. */
export interface CallRecordView {
  callId: string;
  caller: string;
  callee: string;
  flags: number;
  param: number;
  userStr: string;
  roomId: number | null;
  /** dialing, ringing or talking while live (CallPhase of @callgate/protocol); ended once over. */
  phase: string;
  outcome: CallOutcome | null;
  errorCode: number | null;
  /** A user id, "server", "business" or "recovery". */
  endedBy: string | null;
  /** The phase the call ended in, or "requested" for a REQUEST refused at once. */
  endedIn: string | null;
  requestedAt: string;
  ringingAt: string | null;
  answeredAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  /**
   * Null when the callee had a device to ring. Otherwise the REQUEST waited for one: true when a
   * push hook was asked to wake the callee, false when it waited for devices in their grace period.
   */
  pushed: boolean | null;
  /** After such a wait: how long until a device of the callee came and the call rang (null: none came). */
  wokeAfterMs: number | null;
  /** The device of the callee that answered (its deviceId). */
  answeredOn: string | null;
  /** A queue call (an offer to an agent): its queue and entry; null for a direct call. */
  queue: string | null;
  entryId: string | null;
  /** From the agent's wrap-up; null until given. */
  disposition: string | null;
  notes: string | null;
  /** The customer's rating of a served queue call; null until rated. */
  rating: { score: number; comment: string; ratedAt: string } | null;
}

const outcomeSet: Record<CallOutcome, true> = {
  completed: true,
  refused: true,
  busy: true,
  offline: true,
  cancelled: true,
  timeout: true,
  disconnected: true,
  vetoed: true,
  'force-ended': true,
  'caller-busy': true,
  forbidden: true,
  invalid: true,
  'shutting-down': true,
  transferred: true,
};

export const CALL_OUTCOMES = Object.keys(outcomeSet) as CallOutcome[];

export const isCallOutcome = (value: string): value is CallOutcome => Object.hasOwn(outcomeSet, value);

/** A missed call, for its callee: nobody took it. */
export const MISSED_OUTCOMES: readonly CallOutcome[] = ['timeout', 'cancelled', 'offline', 'refused'];

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toCallRecordView(row: CallRecordsTable): CallRecordView {
  return {
    callId: row.call_id,
    caller: row.caller,
    callee: row.callee,
    flags: row.flags,
    param: row.param,
    userStr: row.user_str,
    roomId: row.room_id,
    phase: row.phase,
    outcome: row.outcome as CallOutcome | null,
    errorCode: row.error_code,
    endedBy: row.ended_by,
    endedIn: row.ended_in,
    requestedAt: new Date(row.requested_at).toISOString(),
    ringingAt: iso(row.ringing_at),
    answeredAt: iso(row.answered_at),
    startedAt: iso(row.started_at),
    endedAt: iso(row.ended_at),
    durationMs: row.duration_ms,
    pushed: row.pushed === null ? null : row.pushed !== 0,
    wokeAfterMs: row.woke_after_ms,
    answeredOn: row.answered_on,
    queue: row.queue,
    entryId: row.entry_id,
    disposition: row.disposition,
    notes: row.notes,
    rating:
      row.rating_score === null || row.rated_at === null
        ? null
        : { score: row.rating_score, comment: row.rating_comment ?? '', ratedAt: new Date(row.rated_at).toISOString() },
  };
}

/** The opaque cursor of the page after `row`. */
export function cursorAfter(row: Pick<CallRecordsTable, 'requested_at' | 'call_id'>): string {
  return Buffer.from(JSON.stringify([row.requested_at, row.call_id])).toString('base64url');
}

export function positionOf(cursor: string): RecordPosition | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [requestedAt, callId] = value as unknown[];
    if (typeof requestedAt !== 'number' || !Number.isSafeInteger(requestedAt) || typeof callId !== 'string') return undefined;
    return { requestedAt, callId };
  } catch {
    return undefined;
  }
}
