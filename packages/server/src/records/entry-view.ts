import { entryOutcomeSchema, type EntryOutcome, type EntryState } from '@callgate/protocol';
import type { EntryRecord, OfferResult } from '../queues/types.js';
import type { EntryPosition } from './queue-entry-store.js';
import type { QueueEntryRow } from './schema.js';

/** A queue entry record as the API returns it. Times are ISO 8601 strings, null until reached. */
export interface QueueEntryView {
  entryId: string;
  /** The queue it is in (or ended in), and the one it first entered (they differ after a transfer). */
  queue: string;
  firstQueue: string;
  customer: string;
  priority: number;
  flags: number;
  userStr: string;
  state: EntryState;
  outcome: EntryOutcome | null;
  /** When the customer first entered (kept across transfers), and when it entered its current queue. */
  enteredAt: string;
  queuedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  /** answeredAt − enteredAt once answered, else endedAt − enteredAt once ended; null while waiting. */
  waitedMs: number | null;
  /** The agent offered or talking now, else the last one that answered. */
  agent: string | null;
  callId: string | null;
  /** Every offer to an agent, in order, with its result (null while it rings). */
  offers: { agent: string; at: string; callId: string; result: OfferResult | null }[];
  transfers: { at: string; by: string; fromQueue: string; toQueue: string; toAgent?: string }[];
  /** "recovery" when the restart after a crash closed it; null otherwise. */
  endedBy: string | null;
}

export const ENTRY_OUTCOMES = entryOutcomeSchema.options;

export const isEntryOutcome = (value: string): value is EntryOutcome => (ENTRY_OUTCOMES as readonly string[]).includes(value);

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function listOf<T>(json: string): T[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? (value as T[]) : [];
  } catch {
    return [];
  }
}

export function toQueueEntryView(row: QueueEntryRow): QueueEntryView {
  return {
    entryId: row.entry_id,
    queue: row.queue,
    firstQueue: row.first_queue,
    customer: row.customer,
    priority: row.priority,
    flags: row.flags,
    userStr: row.user_str,
    state: row.state as EntryState,
    outcome: row.outcome as EntryOutcome | null,
    enteredAt: new Date(row.entered_at).toISOString(),
    queuedAt: new Date(row.queued_at).toISOString(),
    answeredAt: iso(row.answered_at),
    endedAt: iso(row.ended_at),
    waitedMs: row.waited_ms,
    agent: row.agent,
    callId: row.call_id,
    offers: listOf<EntryRecord['offers'][number]>(row.offers).map((offer) => ({
      agent: offer.agent,
      at: new Date(offer.at).toISOString(),
      callId: offer.callId,
      result: offer.result ?? null,
    })),
    transfers: listOf<EntryRecord['transfers'][number]>(row.transfers).map((transfer) => ({ ...transfer, at: new Date(transfer.at).toISOString() })),
    endedBy: row.ended_by,
  };
}

/** The opaque cursor of the page after `row`. */
export function entryCursorAfter(row: Pick<QueueEntryRow, 'entered_at' | 'entry_id'>): string {
  return Buffer.from(JSON.stringify([row.entered_at, row.entry_id])).toString('base64url');
}

export function entryPositionOf(cursor: string): EntryPosition | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [enteredAt, entryId] = value as unknown[];
    if (typeof enteredAt !== 'number' || !Number.isSafeInteger(enteredAt) || typeof entryId !== 'string') return undefined;
    return { enteredAt, entryId };
  } catch {
    return undefined;
  }
}
