import type { EntryRecord, QueueTransition } from '../queues/types.js';
import { storableText } from './record-rows.js';
import { RECOVERY, type QueueEntryRow, type WrapUpPatch } from './schema.js';

/** The agent and call an entry is with now, or else the last ones that answered it. */
function agentOf(entry: EntryRecord): { agent: string | null; callId: string | null } {
  if (entry.agent !== undefined) return { agent: entry.agent, callId: entry.callId ?? null };
  const answered = entry.offers.findLast((offer) => offer.result === 'accepted');
  return { agent: answered?.agent ?? null, callId: answered?.callId ?? null };
}

/**
 * The row of a queue entry after a transition (docs/records.md, "queue_entries"). Each transition
 * carries the whole entry, so the row is a whole snapshot: the newest version replaces the row.
 * `waited_ms`: answered − entered for an answered entry, else (once ended) ended − entered.
 */
export function entryRowOf(transition: QueueTransition, node: string): QueueEntryRow | undefined {
  if (transition.type === 'wrapped-up' || transition.type === 'agent-status') return undefined;
  const { entry, at } = transition;
  const ended = transition.type === 'ended';
  const answeredAt = entry.answeredAt ?? null;
  const endedAt = ended ? at : null;
  const waitedUntil = answeredAt ?? endedAt;
  const { agent, callId } = agentOf(entry);
  return {
    entry_id: entry.entryId,
    queue: entry.queue,
    first_queue: entry.transfers[0]?.fromQueue ?? entry.queue,
    customer: entry.customer,
    priority: entry.priority,
    flags: entry.flags,
    user_str: storableText(entry.userStr),
    state: ended ? 'ended' : entry.state,
    entered_at: entry.enteredAt,
    queued_at: entry.queuedAt,
    answered_at: answeredAt,
    ended_at: endedAt,
    waited_ms: waitedUntil === null ? null : Math.max(0, waitedUntil - entry.enteredAt),
    outcome: ended ? transition.outcome : null,
    agent,
    call_id: callId,
    offers: JSON.stringify(entry.offers),
    transfers: JSON.stringify(entry.transfers),
    node,
    version: entry.version,
    updated_at: at,
    ended_by: null,
  };
}

/** What a wrap-up writes into its call's record. */
export function wrapUpPatchOf(transition: QueueTransition): WrapUpPatch | undefined {
  if (transition.type !== 'wrapped-up') return undefined;
  return {
    call_id: transition.callId,
    disposition: transition.disposition ?? null,
    notes: transition.notes === undefined ? null : storableText(transition.notes),
    wrapped_up_at: transition.at,
  };
}

/**
 * One row per entry: the higher version wins; of equal versions the later row, unless the earlier
 * one has ended (an entry ends without a new version when the customer leaves or times out).
 */
export function mergeEntryRows(rows: readonly QueueEntryRow[]): QueueEntryRow[] {
  const byEntry = new Map<string, QueueEntryRow>();
  for (const row of rows) {
    const earlier = byEntry.get(row.entry_id);
    if (!earlier || replaces(row, earlier)) byEntry.set(row.entry_id, row);
  }
  return [...byEntry.values()];
}

/** The rule the database's upsert applies too (record-statements.ts). */
export function replaces(row: QueueEntryRow, stored: QueueEntryRow): boolean {
  if (stored.ended_at === null) return row.version >= stored.version;
  return stored.ended_by === RECOVERY && row.ended_at !== null;
}
