import { cpuPerCall } from '../report/format.js';
import type { Plan } from '../plan.js';
import type { Target } from '../targets.js';
import { SteppedLoad, type ThroughputStep } from './throughput.js';

/** One target climbing with its nodes pinned to one CPU and Redis and the generator to the other. */
export interface PinnedClimb {
  nodes: number;
  steps: ThroughputStep[];
  maxRate: number | null;
  saturated: boolean;
  /** Node CPU per call (all nodes together) at the highest passing rate, µs. */
  cpuPerCallMicros: number | null;
  /** What the model predicts for one core of nodes: 10⁶ ÷ cpuPerCallMicros, calls/s (a ceiling). */
  modelCeiling: number | null;
}

export interface ScaleCheckRun {
  pin: { nodes: string; rest: string };
  climbs: Record<string, PinnedClimb>;
  /** One line for the goals table. */
  summary: string;
}

const PIN = { nodes: '0', rest: '1' };

/**
 * What 2 cores can show of the capacity model: every node of a target on CPU 0, its redis-server
 * and the load generator on CPU 1 (taskset), so the nodes have one core whatever their number.
 * The model says the nodes then pass at most 10⁶ ÷ (node CPU per call) calls/s, and that two
 * nodes on the one core pass as many as one if per-call CPU does not grow with the node count.
 */
export async function runScaleCheck(targets: Target[], plan: Plan, log: (line: string) => void): Promise<ScaleCheckRun> {
  if (!plan.scaleCheck) throw new Error('this plan has no scale check');
  const climbs: Record<string, PinnedClimb> = {};
  for (const target of targets) {
    const load = await SteppedLoad.start(target, plan, log, { pin: PIN });
    const steps: ThroughputStep[] = [];
    try {
      let failures = 0;
      for (const rate of plan.scaleCheck.rates) {
        const step = await load.step(rate, plan.scaleCheck.stepMs);
        steps.push(step);
        log(`  ${target.id} pinned ${rate}/s: p99 setup ${step.setup.p99} ms, node CPU ${step.serverCpu}, Redis CPU ${step.redisCpu}, generator ${step.generatorCpu} → ${step.passed ? 'pass' : 'FAIL'}`);
        failures = step.passed ? 0 : failures + 1;
        if (failures >= plan.throughput.stopAfterFailures) break;
      }
    } finally {
      await load.stop();
    }
    const passed = steps.filter((s) => s.passed);
    const best = passed.sort((a, b) => b.rate - a.rate)[0];
    const perCall = best ? cpuPerCall(best) : null;
    climbs[target.id] = {
      nodes: target.nodes.length,
      steps,
      maxRate: best?.rate ?? null,
      saturated: best !== undefined && steps.some((s) => !s.passed && s.rate > best.rate),
      cpuPerCallMicros: perCall,
      modelCeiling: perCall ? Math.round(1e6 / perCall) : null,
    };
  }
  const summary = Object.entries(climbs)
    .map(([id, c]) => `${id} (${c.nodes} node${c.nodes > 1 ? 's' : ''} on one core): passes ${c.maxRate ?? 'none'}${c.saturated ? '' : '+'} calls/s at ${c.cpuPerCallMicros ?? '—'} µs per call, model ceiling ${c.modelCeiling ?? '—'}`)
    .join('; ');
  return { pin: PIN, climbs, summary: `nodes on CPU ${PIN.nodes}, Redis and generator on CPU ${PIN.rest}: ${summary}` };
}
