import type { LatencyFloorResult } from '../load/pair-pool.js';
import { waitForQuiet } from '../machine-load.js';
import { RunningTarget } from '../nodes/launch.js';
import type { Plan } from '../plan.js';
import type { Target } from '../targets.js';
import { startGenerator } from './generators.js';

/** One pair, sequential calls: ring delivery and setup with nothing else going on. */
export async function runLatencyFloor(target: Target, plan: Plan): Promise<LatencyFloorResult> {
  const running = await RunningTarget.launch(target, { secret: plan.secret });
  try {
    const generator = await startGenerator(`${target.id} latency generator`);
    try {
      await waitForQuiet(plan.quietWaitMs);
      await generator.request({ op: 'pairs', urls: running.urls, secret: plan.secret, pairs: 1, prefix: 'floor', ringMs: 0 });
      return await generator.request<LatencyFloorResult>({ op: 'latency', ...plan.latency });
    } finally {
      await generator.stop();
    }
  } finally {
    await running.stop();
  }
}
