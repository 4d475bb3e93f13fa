/**
 * The call_records table: one row per call id, written at every transition. Times are
 * milliseconds since the epoch; a column stays null until the call reaches that step.
 */
export interface CallRecordsTable {
  call_id: string;
  caller: string;
  callee: string;
  flags: number;
  param: number;
  user_str: string;
  /** Null until the call starts. */
  room_id: number | null;
  /** dialing | ringing | talking while the call is live; ended once it is over. */
  phase: string;
  /** The node whose switchboard wrote the record. */
  node: string;
  requested_at: number;
  ringing_at: number | null;
  answered_at: number | null;
  started_at: number | null;
  ended_at: number | null;
  /** From START to the end; null for a call that never started. */
  duration_ms: number | null;
  outcome: string | null;
  error_code: number | null;
  ended_by: string | null;
  /** The phase the call was in when it ended, or "requested" for a call refused at once. */
  ended_in: string | null;
  updated_at: number;
  /** A queue call: its queue and entry. */
  queue: string | null;
  entry_id: string | null;
  /**
   * Set when the REQUEST found no device of the callee to ring and waited (docs/records.md):
   * 1 when a push hook was asked to wake the callee, 0 when it only waited for devices coming back.
   */
  pushed: number | null;
  /** How long after the REQUEST a device of the callee came and the call rang; null if none came. */
  woke_after_ms: number | null;
  /** The device of the callee that answered. */
  answered_on: string | null;
  /** Written by the agent's wrap-up. */
  disposition: string | null;
  notes: string | null;
  wrapped_up_at: number | null;
  /** Written by the customer's rating. */
  rating_score: number | null;
  rating_comment: string | null;
  rated_at: number | null;
}

/** Queue definitions (JSON of QueueDefinition), shared by every node on the same database. */
export interface QueuesTable {
  queue_id: string;
  definition: string;
  updated_at: number;
}

/** One row per queue entry, written at each step; a newer `version` wins. */
export interface QueueEntriesTable {
  entry_id: string;
  /** The queue it is (or ended) in, and the one it first entered. */
  queue: string;
  first_queue: string;
  customer: string;
  priority: number;
  flags: number;
  user_str: string;
  /** waiting | offered | connected while open; ended once over. */
  state: string;
  entered_at: number;
  queued_at: number;
  answered_at: number | null;
  ended_at: number | null;
  /** From entering to the answer (or to the end, for an entry nobody answered). */
  waited_ms: number | null;
  /** served | abandoned | timeout | closed */
  outcome: string | null;
  agent: string | null;
  call_id: string | null;
  /** JSON: [{ agent, at, callId, result }] */
  offers: string;
  /** JSON: [{ at, by, fromQueue, toQueue, toAgent? }] */
  transfers: string;
  node: string;
  version: number;
  updated_at: number;
  /** "recovery" when recovery closed it (migration 0003); null otherwise. */
  ended_by: string | null;
}

/**
 * One row per party of each call (migration 0006): a user's calls, newest first, read on the
 * index (user_id, requested_at, call_id) in O(page) however many calls the user has.
 */
export interface CallPartiesTable {
  call_id: string;
  user_id: string;
  /** The call's requested_at: the order of the history. */
  requested_at: number;
}

export interface RecordsSchema {
  call_records: CallRecordsTable;
  queues: QueuesTable;
  queue_entries: QueueEntriesTable;
  call_parties: CallPartiesTable;
}

/** The columns a call transition writes; wrap-up and rating write theirs separately. */
export type CallRecordRow = Omit<
  CallRecordsTable,
  'disposition' | 'notes' | 'wrapped_up_at' | 'rating_score' | 'rating_comment' | 'rated_at'
>;

export type QueueEntryRow = QueueEntriesTable;

/** What an agent's wrap-up writes into the record of the call it wraps up. */
export interface WrapUpPatch {
  call_id: string;
  /** Null leaves a disposition (or notes) already written as it is. */
  disposition: string | null;
  notes: string | null;
  wrapped_up_at: number;
}

const columns: Record<keyof CallRecordRow, true> = {
  call_id: true,
  caller: true,
  callee: true,
  flags: true,
  param: true,
  user_str: true,
  room_id: true,
  phase: true,
  node: true,
  requested_at: true,
  ringing_at: true,
  answered_at: true,
  pushed: true,
  woke_after_ms: true,
  answered_on: true,
  started_at: true,
  ended_at: true,
  duration_ms: true,
  outcome: true,
  error_code: true,
  ended_by: true,
  ended_in: true,
  updated_at: true,
  queue: true,
  entry_id: true,
};

/** Every column of a call record (the compiler checks that none is missing). */
export const CALL_RECORD_COLUMNS = Object.keys(columns) as (keyof CallRecordRow)[];

const entryColumns: Record<keyof QueueEntryRow, true> = {
  entry_id: true,
  queue: true,
  first_queue: true,
  customer: true,
  priority: true,
  flags: true,
  user_str: true,
  state: true,
  entered_at: true,
  queued_at: true,
  answered_at: true,
  ended_at: true,
  waited_ms: true,
  outcome: true,
  agent: true,
  call_id: true,
  offers: true,
  transfers: true,
  node: true,
  version: true,
  updated_at: true,
  ended_by: true,
};

/** Every column of a queue entry record. */
export const QUEUE_ENTRY_COLUMNS = Object.keys(entryColumns) as (keyof QueueEntryRow)[];

const wrapUpColumns: Record<keyof WrapUpPatch, true> = { call_id: true, disposition: true, notes: true, wrapped_up_at: true };

/** Every field of a wrap-up patch. */
export const WRAP_UP_COLUMNS = Object.keys(wrapUpColumns) as (keyof WrapUpPatch)[];

/** `ended_by` of a record that recovery closed: not a party, not the business server. */
export const RECOVERY = 'recovery';
