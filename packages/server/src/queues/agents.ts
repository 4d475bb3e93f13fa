import type { DecisionDraft } from '../calls/draft.js';
import type { ConnectInput, UserRecord } from '../calls/types.js';
import type { AgentRecord } from './types.js';

export const wrapUpTimerKey = (userId: string): string => `wrap:${userId}`;

/** The agent record a fresh session of an agent starts with: away until it says it is available. */
export function newAgent(input: ConnectInput, now: number): AgentRecord | undefined {
  if (input.role !== 'agent') return undefined;
  return { status: 'away', since: now, idleSince: now, queues: input.queues ?? [], skills: input.skills ?? [] };
}

/** A resumed agent keeps its status; its queues and skills are what its newest token says. */
export function resumedAgent(agent: AgentRecord | undefined, input: ConnectInput): AgentRecord | undefined {
  if (!agent || input.role !== 'agent') return undefined;
  return { ...agent, queues: input.queues ?? agent.queues, skills: input.skills ?? agent.skills };
}

/**
 * Writes an agent's changed record; a change of status (or of its reason) is told to the agent
 * and noted as a transition.
 */
export function changeAgent(draft: DecisionDraft, user: UserRecord, changes: Partial<AgentRecord>): UserRecord {
  const before = user.agent;
  if (!before) return user;
  const agent: AgentRecord = { ...before, ...changes };
  const moved = agent.status !== before.status || agent.reason !== before.reason;
  if (moved) agent.since = draft.ctx.now;
  const next = { ...user, agent };
  draft.putUser(next);
  if (moved) {
    draft.deliverAgent(next);
    draft.decision.queueTransitions.push({
      type: 'agent-status',
      at: draft.ctx.now,
      agent: user.userId,
      status: agent.status,
      ...(agent.reason !== undefined ? { reason: agent.reason } : {}),
    });
  }
  return next;
}

/** Ends an agent's wrap-up, noting its disposition and notes for the call's record. */
export function closeWrapUp(draft: DecisionDraft, user: UserRecord, closing: { disposition?: string; notes?: string } = {}): UserRecord {
  const wrapUp = user.agent?.wrapUp;
  if (!wrapUp) return user;
  draft.clearTimer(wrapUpTimerKey(user.userId));
  draft.decision.queueTransitions.push({
    type: 'wrapped-up',
    at: draft.ctx.now,
    agent: user.userId,
    customer: wrapUp.customer,
    callId: wrapUp.callId,
    entryId: wrapUp.entryId,
    queue: wrapUp.queue,
    ...closing,
  });
  return changeAgent(draft, user, { wrapUp: undefined });
}

/** The agent has nothing to do now: it takes the status it asked for meanwhile, available by default. */
export function settleAgent(draft: DecisionDraft, user: UserRecord): UserRecord {
  const next = user.agent?.next ?? { status: 'available' as const };
  const reason = next.status === 'away' ? next.reason : undefined;
  return changeAgent(draft, user, { status: next.status, reason, next: undefined, idleSince: draft.ctx.now });
}
