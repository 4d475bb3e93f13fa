import type { UserRecord } from '../calls/types.js';
import { present } from '../calls/devices.js';
import { lineScore } from '../queues/order.js';
import type { EntryRecord } from '../queues/types.js';

/**
 * What each backend keeps in its queue indexes, worked out from the records a decision writes
 * (docs/contact-centre.md, "State"): a queue's line holds its waiting and offered entries in
 * order of service; a queue's available list holds the agents that may be offered a customer
 * now, longest idle first; a queue's agents are every online agent serving it.
 */

/** The line an entry stands in, and where; undefined once connected or gone. */
export function lineOf(entry: EntryRecord | null | undefined): { queue: string; score: number } | undefined {
  if (!entry || entry.state === 'connected') return undefined;
  return { queue: entry.queue, score: lineScore(entry) };
}

/** The queues an agent is available in, and its idle time; undefined when it cannot be offered anyone. */
export function availabilityOf(user: UserRecord | null | undefined): { queues: readonly string[]; score: number } | undefined {
  const agent = user?.agent;
  if (!user || !agent || !present(user) || user.callId !== null || agent.status !== 'available') return undefined;
  return { queues: agent.queues, score: agent.idleSince };
}

/** The queues an online agent serves. */
export const servedQueues = (user: UserRecord | null | undefined): readonly string[] => user?.agent?.queues ?? [];

/** What a decision changed for the contact centre's watchers: these queues' figures, these agents. */
export interface QueueChanges {
  queues: string[];
  agents: string[];
}

/** The queues and agents whose figures a write of `before` → `after` may change. */
export function userQueueChanges(before: UserRecord | undefined, after: UserRecord | undefined, into: { queues: Set<string>; agents: Set<string> }): void {
  const was = before?.agent;
  const is = after?.agent;
  if (!was && !is) return;
  const changed =
    was?.status !== is?.status || was?.reason !== is?.reason || present(before) !== present(after) || (before?.callId ?? null) !== (after?.callId ?? null);
  if (!changed && was?.queues.join() === is?.queues.join()) return;
  into.agents.add((after ?? before)!.userId);
  for (const queue of [...(was?.queues ?? []), ...(is?.queues ?? [])]) into.queues.add(queue);
}
