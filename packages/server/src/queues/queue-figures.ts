import type { AgentFigures, AgentStatusName, EntryPosition, Queue, QueueFigures } from '@callgate/protocol';
import type { UserRecord } from '../calls/types.js';
import { present } from '../calls/devices.js';
import type { LineRead } from '../state/backend.js';
import { enteredAtOf } from './order.js';

/** A handle time to assume for a queue that has served nobody recently. */
export const DEFAULT_HANDLE_MS = 120_000;

/** An agent as supervisors see it; an agent whose device is away (grace period) counts as offline. */
export function agentFiguresOf(user: UserRecord): AgentFigures | undefined {
  const agent = user.agent;
  if (!agent) return undefined;
  return {
    userId: user.userId,
    status: present(user) ? agent.status : 'offline',
    ...(agent.reason !== undefined ? { reason: agent.reason } : {}),
    since: agent.since,
    queues: agent.queues,
    connected: present(user),
  };
}

const noAgents = (): Record<AgentStatusName, number> => ({ offline: 0, available: 0, offered: 0, talking: 0, 'wrap-up': 0, away: 0 });

/** A queue's live figures from its line and its agents. */
export function queueFiguresOf(queue: Queue, line: LineRead, agents: readonly UserRecord[], now: number): QueueFigures {
  const byStatus = noAgents();
  for (const user of agents) {
    const figures = agentFiguresOf(user);
    if (figures) byStatus[figures.status] += 1;
  }
  let oldest = Infinity;
  for (const { score } of line) oldest = Math.min(oldest, enteredAtOf(score));
  return {
    id: queue.id,
    name: queue.name,
    mode: queue.mode,
    priority: queue.priority,
    serviceLevel: queue.serviceLevel,
    waiting: line.length,
    longestWaitMs: line.length === 0 ? 0 : Math.max(0, now - oldest),
    agents: byStatus,
  };
}

/** What the position figures of one queue need, read once for all its customers. */
export interface LineFigures {
  /** Agents that could take a customer now. */
  available: number;
  /** Agents on duty: connected and not away. */
  staffed: number;
  /** The queue's recent average handle time. */
  handleMs: number;
}

export function lineFiguresOf(agents: readonly UserRecord[], handleMs: number | undefined): LineFigures {
  let available = 0;
  let staffed = 0;
  for (const user of agents) {
    const agent = user.agent;
    if (!agent || !present(user) || agent.status === 'away') continue;
    staffed += 1;
    if (agent.status === 'available' && user.callId === null) available += 1;
  }
  return { available, staffed, handleMs: handleMs ?? DEFAULT_HANDLE_MS };
}

/**
 * Where the customer at `rank` (0 = head) stands. The estimate (docs/contact-centre.md, "Position
 * and estimated wait"): nothing when an available agent can take it now; otherwise its place
 * beyond the available agents, shared among the agents on duty, times the queue's average handle
 * time.
 */
export function positionOf(entryId: string, rank: number, enteredAt: number, figures: LineFigures, now: number): EntryPosition {
  const position = rank + 1;
  const beyond = Math.max(0, position - figures.available);
  return {
    entryId,
    position,
    ahead: rank,
    waitedMs: Math.max(0, now - enteredAt),
    estimatedWaitMs: Math.round((beyond / Math.max(1, figures.staffed)) * figures.handleMs),
    agentsAvailable: figures.available,
  };
}
