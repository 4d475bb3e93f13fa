import type { AgentState, EntryOutcome, EntryView } from '@callgate/protocol';
import type { AgentRecord, EntryRecord } from './types.js';

/** An entry as its customer sees it on the wire. */
export function entryViewOf(entry: EntryRecord, outcome?: EntryOutcome): EntryView {
  const transfer = entry.transfers.at(-1);
  return {
    id: entry.entryId,
    queue: entry.queue,
    state: outcome ? 'ended' : entry.state,
    ...(outcome ? { outcome } : {}),
    enteredAt: entry.enteredAt,
    ...(entry.callId !== undefined ? { callId: entry.callId } : {}),
    ...(entry.agent !== undefined ? { agent: entry.agent } : {}),
    ...(transfer
      ? {
          transfer: {
            by: transfer.by,
            fromQueue: transfer.fromQueue,
            toQueue: transfer.toQueue,
            ...(transfer.toAgent !== undefined ? { toAgent: transfer.toAgent } : {}),
          },
        }
      : {}),
  };
}

/** An agent's status as it and supervisors see it. */
export function agentStateOf(agent: AgentRecord): AgentState {
  return { status: agent.status, ...(agent.reason !== undefined ? { reason: agent.reason } : {}), since: agent.since, queues: agent.queues };
}
