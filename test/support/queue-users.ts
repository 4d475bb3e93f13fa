import type { AgentState, QueueEntry } from '@callgate/client';
import type { RunningServer } from '@callgate/server';
import { EventQueue } from './event-queue.js';
import { waitUntil, type TestServer } from './servers.js';
import { TestUser } from './test-user.js';

/** An agent serving `queues` (signed into its token), connected; `available` sets it available. */
export async function connectAgent(
  server: RunningServer | TestServer,
  userId: string,
  queues: string[],
  options: { skills?: string[]; available?: boolean } = {},
): Promise<TestUser> {
  const agent = await TestUser.connect(server, userId, { role: 'agent', queues, ...(options.skills ? { skills: options.skills } : {}) });
  if (options.available) await setAvailable(agent);
  return agent;
}

/** Sets an agent available and waits until the SDK shows it (or already offered a waiting customer). */
export async function setAvailable(agent: TestUser): Promise<void> {
  await agent.client.setAgentStatus('available');
  await waitUntil(`${agent.userId} available`, () => ['available', 'offered'].includes(agent.client.agentStatus?.status ?? ''), 5000);
}

/** The statuses an agent's SDK reports from now on. */
export function agentStatuses(agent: TestUser): EventQueue<AgentState> {
  const statuses = new EventQueue<AgentState>();
  agent.client.on('agent-status', (state) => statuses.push(state));
  return statuses;
}

/**
 * What happens to an entry from now on, one string per change of state, queue or agent:
 * "waiting@billing", "offered@billing:anna", "connected@billing:anna", "ended:served",
 * "call:<roomId>"; position changes are left out (see `positionsOf`).
 */
export function entrySteps(entry: QueueEntry): EventQueue<string> {
  const steps = new EventQueue<string>();
  let last = '';
  entry.on('update', (e) => {
    const step = e.state === 'ended' ? `ended:${e.outcome}` : `${e.state}@${e.queue}${e.agent ? `:${e.agent}` : ''}`;
    if (step !== last) steps.push(step);
    last = step;
  });
  entry.on('call', (call) => steps.push(`call:${call.roomId}`));
  return steps;
}

/** The positions an entry is told, its current one first (each change once). */
export function positionsOf(entry: QueueEntry): number[] {
  const seen: number[] = entry.position !== undefined ? [entry.position] : [];
  entry.on('update', (e) => {
    if (e.position !== undefined && seen.at(-1) !== e.position) seen.push(e.position);
  });
  return seen;
}

/** Waits for the step that starts with `prefix`, skipping others; returns it. */
export async function untilStep(steps: EventQueue<string>, prefix: string, timeoutMs = 8000): Promise<string> {
  for (;;) {
    const step = await steps.next(prefix, timeoutMs);
    if (step.startsWith(prefix)) return step;
  }
}
