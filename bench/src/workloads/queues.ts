import type { QueueDeskResult } from '../load/queue-desk.js';
import { waitForQuiet } from '../machine-load.js';
import { RunningTarget } from '../nodes/launch.js';
import type { Plan } from '../plan.js';
import type { Target } from '../targets.js';
import { startGenerator } from './generators.js';

export interface QueueRun extends QueueDeskResult {
  /** Server CPU over the measured part, per offer, in microseconds. */
  cpuPerOfferMicros: number;
  /** Server CPU over the measured part, as a share of one core. */
  cpuShare: number;
}

const QUEUE = 'help';

/** The contact centre at one size: customers waiting, agents taking them, on the target's node(s). */
export async function runQueues(target: Target, plan: Plan, size: { customers: number; agents: number }, log: (line: string) => void): Promise<QueueRun> {
  const queues = [{ id: QUEUE, name: 'Help', wrapUp: 0, offerTimeout: 600, maxWait: 86_400, maxLength: 100_000 }];
  const running = await RunningTarget.launch(target, { secret: plan.secret, nodeOptions: { queues } });
  try {
    const generator = await startGenerator(`${target.id} queue generator`);
    try {
      await waitForQuiet(plan.quietWaitMs);
      log(`queues: ${size.customers} customers, ${size.agents} agents on ${target.id}`);
      const desk = { urls: running.urls, secret: plan.secret, queue: QUEUE, ...size, offers: Math.min(plan.queues.offers, offersPossible(size)), talkMs: plan.queues.talkMs };
      await generator.request({ op: 'desk', desk });
      const before = await running.cpuMicros();
      const result = await generator.request<QueueDeskResult>({ op: 'desk-run' });
      const cpu = (await running.cpuMicros()) - before;
      return { ...result, cpuPerOfferMicros: Math.round(cpu / Math.max(1, result.freeToOffer.count)), cpuShare: cpu / 1000 / Math.max(1, result.durationMs) };
    } finally {
      await generator.stop();
    }
  } finally {
    await running.stop();
  }
}

/**
 * Offers that can be measured at `size`: each agent's first offer starts its clock, so a crowd of
 * customers gives that many offers less than it has customers, and a few are kept back so that
 * the line never runs dry while the last offers are measured.
 */
function offersPossible(size: { customers: number; agents: number }): number {
  return Math.max(1, Math.floor((size.customers - size.agents) * 0.9));
}
