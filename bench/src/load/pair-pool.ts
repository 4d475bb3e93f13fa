import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CallPair, faults, newTally, type CallTally } from './call-pair.js';
import { connectAll, mintUsers, type ConnectOutcome } from './connect-all.js';
import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';

export interface LatencyFloorResult {
  calls: number;
  ring: LatencySummary;
  setup: LatencySummary;
  tally: CallTally;
}

export interface StepResult {
  /** Offered arrival rate, calls per second. */
  rate: number;
  durationMs: number;
  /** Calls that were due in the step. */
  offered: number;
  /** Due calls that found no idle pair (the pool was exhausted: calls took too long). */
  dropped: number;
  /** Completed calls per second over the step (completions up to the end of the drain). */
  completedPerSecond: number;
  setup: LatencySummary;
  ring: LatencySummary;
  tally: CallTally;
  /** Share of one core the generator used, and its event-loop utilisation, during the step. */
  generatorCpu: number;
  generatorElu: number;
}

/** A pool of caller/callee pairs, connected once and reused for every call of a target. */
export class PairPool {
  private tally = newTally();
  private constructor(private readonly pairs: CallPair[]) {}

  static async connect(options: {
    urls: string[];
    secret: string;
    pairs: number;
    prefix: string;
    ringMs: number;
  }): Promise<{ pool: PairPool; outcome: ConnectOutcome }> {
    const ids = Array.from({ length: options.pairs }, (_, i) => [`${options.prefix}a${i}`, `${options.prefix}b${i}`]).flat();
    const users = await mintUsers(options.secret, ids);
    // Callers and callees alternate; in a cluster each pair's two users sit on different nodes.
    const n = options.urls.length;
    const outcome = await connectAll(users, (i) => options.urls[(Math.floor(i / 2) + (i % 2)) % n]!, 100);
    if (outcome.failed > 0) throw new Error(`${outcome.failed} users could not connect: ${outcome.firstError}`);
    const pool = new PairPool([]);
    for (let i = 0; i < users.length; i += 2) {
      pool.pairs.push(new CallPair(users[i]!, users[i + 1]!, () => pool.tally, options.ringMs));
    }
    return { pool, outcome };
  }

  /** One pair, one call at a time, each call after the previous one ended. */
  async latencyFloor(calls: number, warmup: number): Promise<LatencyFloorResult> {
    const pair = this.pairs[0];
    if (!pair) throw new Error('no pairs');
    this.tally = newTally();
    const ring = new LatencyHistogram();
    const setup = new LatencyHistogram();
    for (let n = 1; n <= warmup + calls; n++) {
      const timing = n > warmup ? { ring, setup } : { ring: null, setup: null };
      const done = new Promise<void>((resolve) => pair.start(n, performance.now(), timing, resolve));
      const ended = await Promise.race([done.then(() => true), sleep(10_000).then(() => false)]);
      if (!ended) {
        pair.abandon();
        break;
      }
    }
    return { calls, ring: ring.summary(), setup: setup.summary(), tally: this.tally };
  }

  /**
   * Open-loop arrivals: call k is due at start + k / rate, whatever happened to earlier calls,
   * and its setup latency counts from that moment, so a slow server cannot slow the arrivals.
   */
  async step(rate: number, durationMs: number, drainMs: number, firstCall: number): Promise<StepResult> {
    this.tally = newTally();
    const ring = new LatencyHistogram();
    const setup = new LatencyHistogram();
    const timing = { ring, setup };
    const idle = this.pairs.filter((p) => p.idle);
    const busy = new Set<CallPair>();
    const total = Math.round((rate * durationMs) / 1000);
    let due = 0;
    let dropped = 0;
    const cpu0 = process.cpuUsage();
    const elu0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = performance.now();
        const dueNow = Math.min(total, Math.floor(((now - t0) * rate) / 1000) + 1);
        while (due < dueNow) {
          const intendedAt = t0 + (due * 1000) / rate;
          const pair = idle.pop();
          if (pair) {
            busy.add(pair);
            pair.start(firstCall + due, intendedAt, timing, () => {
              busy.delete(pair);
              idle.push(pair);
            });
          } else {
            dropped += 1;
          }
          due += 1;
        }
        if (due >= total) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    const drainUntil = performance.now() + drainMs;
    while (busy.size > 0 && performance.now() < drainUntil) await sleep(5);
    const elapsed = Math.max(durationMs, performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    for (const pair of busy) pair.abandon();
    return {
      rate,
      durationMs,
      offered: total,
      dropped,
      completedPerSecond: Math.round((this.tally.completed * 1000) / elapsed),
      setup: setup.summary(),
      ring: ring.summary(),
      tally: this.tally,
      generatorCpu: Math.round(((cpu.user + cpu.system) / 1000 / elapsed) * 100) / 100,
      generatorElu: Math.round(elu.utilization * 100) / 100,
    };
  }

  close(): void {
    for (const pair of this.pairs) {
      pair.caller.close();
      pair.callee.close();
    }
  }
}

export const stepPassed = (step: StepResult, p99LimitMs: number): boolean =>
  step.dropped === 0 && faults(step.tally) === 0 && step.setup.count > 0 && step.setup.p99 < p99LimitMs;
