import { coresBusy, sampleCpu, waitForQuiet } from '../machine-load.js';
import { stepPassed, type StepResult } from '../load/pair-pool.js';
import { pinProcess, RunningTarget, type LaunchOptions } from '../nodes/launch.js';
import type { Plan } from '../plan.js';
import type { Target } from '../targets.js';
import { startGenerator } from './generators.js';

export interface ThroughputStep extends StepResult {
  /** Share of one core the target's node(s) used during the step, all together. */
  serverCpu: number;
  /** The same, node by node (one entry for a single node). */
  nodeCpu?: number[];
  /** Share of one core the target's redis-server used during the step; null without one. */
  redisCpu?: number | null;
  /** Cores used by other processes on the machine during the step (not the node, not the generator). */
  otherLoad: number | null;
  /** The first try of this step failed; this is the second, which counts. */
  retried: boolean;
  /** When the step ran, in µs of the monotonic clock every process here shares (as in a .cpuprofile). */
  windowMicros: [number, number];
  passed: boolean;
}

export interface ThroughputResult {
  steps: ThroughputStep[];
  /** Highest offered rate that passed, or null when none did. */
  maxRate: number | null;
  /** True when a higher step failed, so maxRate is the real limit and not just the last rate tried. */
  saturated: boolean;
  /** A step at half of maxRate, for ring delivery at moderate load. */
  halfRate: ThroughputStep | null;
}

type Log = (line: string) => void;


/** Connects a pool of pairs to a target and runs open-loop steps against it. */
export class SteppedLoad {
  private constructor(
    private readonly running: RunningTarget,
    private readonly generator: Awaited<ReturnType<typeof startGenerator>>,
    private readonly plan: Plan,
    private readonly log: Log,
  ) {}

  static async start(target: Target, plan: Plan, log: Log, launch: Partial<LaunchOptions> = {}): Promise<SteppedLoad> {
    const running = await RunningTarget.launch(target, { secret: plan.secret, ...launch });
    let generator: Awaited<ReturnType<typeof startGenerator>> | undefined;
    try {
      generator = await startGenerator(`${target.id} load generator`);
      if (launch.pin) pinProcess(generator.pid, launch.pin.rest);
      await generator.request({
        op: 'pairs',
        urls: running.urls,
        secret: plan.secret,
        pairs: plan.throughput.pairs,
        prefix: 'load',
        ringMs: plan.throughput.ringMs,
      });
      return new SteppedLoad(running, generator, plan, log);
    } catch (error) {
      await generator?.stop();
      await running.stop();
      throw error;
    }
  }

  /**
   * One step. A failed step is run once more and the second try counts: on a machine shared with
   * other work, one burst of it should not decide the result (both tries are in the log).
   */
  async step(rate: number, durationMs = this.plan.throughput.stepMs): Promise<ThroughputStep> {
    const first = await this.once(rate, durationMs, false);
    if (first.passed) return first;
    this.log(`  ${this.running.target.id} ${rate}/s first try failed: p99 setup ${first.setup.p99} ms, dropped ${first.dropped}, other load ${first.otherLoad}`);
    return this.once(rate, durationMs, true);
  }

  private async once(rate: number, durationMs: number, retried: boolean): Promise<ThroughputStep> {
    await waitForQuiet(this.plan.quietWaitMs);
    const cpu0 = await this.running.cpuMicrosEach();
    const redis0 = await this.running.redisCpuMicros();
    const machine0 = sampleCpu();
    const t0 = performance.now();
    const from = Number(process.hrtime.bigint() / 1000n);
    const result = await this.generator.request<StepResult>({ op: 'step', rate, durationMs, drainMs: this.plan.throughput.drainMs });
    const to = Number(process.hrtime.bigint() / 1000n);
    const wallMicros = (performance.now() - t0) * 1000;
    const machine = coresBusy(machine0, sampleCpu());
    const nodeCores = (await this.running.cpuMicrosEach()).map((micros, i) => (micros - cpu0[i]!) / wallMicros);
    const serverCores = nodeCores.reduce((sum, cores) => sum + cores, 0);
    const redis1 = await this.running.redisCpuMicros();
    const redisCores = redis0 === null || redis1 === null ? null : (redis1 - redis0) / wallMicros;
    const round = (n: number): number => Math.round(n * 100) / 100;
    // The generator's share is over the step and its drain, close enough to the same window.
    const otherLoad = machine === null ? null : round(Math.max(0, machine - serverCores - (redisCores ?? 0) - result.generatorCpu));
    return {
      ...result,
      serverCpu: round(serverCores),
      nodeCpu: nodeCores.map(round),
      redisCpu: redisCores === null ? null : Math.round(redisCores * 1000) / 1000,
      otherLoad,
      retried,
      windowMicros: [from, to],
      passed: stepPassed(result, this.plan.throughput.p99LimitMs),
    };
  }

  async stop(): Promise<void> {
    await this.generator.stop();
    await this.running.stop();
  }
}

interface Climb {
  target: Target;
  load: SteppedLoad;
  steps: ThroughputStep[];
  failuresInARow: number;
  done: boolean;
}

/**
 * Climbs the rates with every target side by side: at each rate, one step per target in turn, so
 * that whatever else loads the machine at that moment weighs on all of them alike. A target stops
 * climbing after `stopAfterFailures` failed steps in a row.
 */
export async function runThroughput(targets: Target[], plan: Plan, log: Log): Promise<Record<string, ThroughputResult>> {
  const climbs: Climb[] = [];
  try {
    for (const target of targets) {
      climbs.push({ target, load: await SteppedLoad.start(target, plan, log), steps: [], failuresInARow: 0, done: false });
    }
    for (const rate of plan.throughput.rates) {
      for (const climb of climbs.filter((c) => !c.done)) {
        const step = await climb.load.step(rate);
        climb.steps.push(step);
        log(
          `  ${climb.target.id} ${rate}/s: p99 setup ${step.setup.p99} ms, completed ${step.completedPerSecond}/s, ` +
            `faults ${step.tally.errors + step.tally.lost + step.tally.misrouted + step.tally.wrong}, dropped ${step.dropped}, ` +
            `server cpu ${step.serverCpu}, generator cpu ${step.generatorCpu}, other load ${step.otherLoad}` +
            `${step.retried ? ' (second try)' : ''} → ${step.passed ? 'pass' : 'FAIL'}`,
        );
        climb.failuresInARow = step.passed ? 0 : climb.failuresInARow + 1;
        climb.done = climb.failuresInARow >= plan.throughput.stopAfterFailures || step.setup.p99 > 5_000;
      }
      if (climbs.every((c) => c.done)) break;
    }
    const results: Record<string, ThroughputResult> = {};
    for (const climb of climbs) {
      const passed = climb.steps.filter((s) => s.passed).map((s) => s.rate);
      const maxRate = passed.length ? Math.max(...passed) : null;
      let halfRate: ThroughputStep | null = null;
      if (maxRate !== null) {
        halfRate = await climb.load.step(Math.max(1, Math.round(maxRate / 2)));
        log(`  ${climb.target.id} half of max (${halfRate.rate}/s): p99 ring ${halfRate.ring.p99} ms, p99 setup ${halfRate.setup.p99} ms`);
      }
      const saturated = climb.steps.some((s) => !s.passed && maxRate !== null && s.rate > maxRate);
      results[climb.target.id] = { steps: climb.steps, maxRate, saturated, halfRate };
    }
    return results;
  } finally {
    for (const climb of climbs) await climb.load.stop();
  }
}
