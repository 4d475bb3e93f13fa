import { setTimeout as sleep } from 'node:timers/promises';
import { faults } from '../load/call-pair.js';
import type { LatencyFloorResult } from '../load/pair-pool.js';
import type { LatencySummary } from '../load/latency-histogram.js';
import { waitForQuiet } from '../machine-load.js';
import { RunningTarget } from '../nodes/launch.js';
import { MonitorTally } from '../nodes/monitor-tally.js';
import { countersBetween, readCounters, totalCommands, type RedisCounters } from '../nodes/redis-counters.js';
import { RedisProbe } from '../nodes/redis-probe.js';
import type { Plan } from '../plan.js';
import type { Target } from '../targets.js';
import { startGenerator } from './generators.js';

/** What one call cycle (REQUEST, REPLY 0, START, FINISH) costs Redis, over sequential calls of one pair. */
export interface RedisCostRun {
  nodes: number;
  calls: number;
  /**
   * Every command Redis ran for the calls, scripts' own included (`INFO commandstats`), per call:
   * the commands counted during the calls minus the background's over as long a time.
   */
  commandsPerCall: number;
  backgroundCommandsPerCall: number;
  /** The same, command by command (background taken away), most first. */
  perCommand: { command: string; perCall: number }[];
  /**
   * From a second, equal run under MONITOR: commands the nodes sent, and commands scripts ran,
   * per call (background included: it is a small part, see backgroundCommandsPerCall).
   */
  sentPerCall: number;
  luaPerCall: number;
  /** The MONITOR run command by command (`sent evalsha`, `lua set`), per call, most first. */
  monitorPerCommand: { command: string; perCall: number }[];
  /** Socket reads of requests per call (`total_reads_processed`), before and after taking away the background. */
  readsPerCall: number;
  backgroundReadsPerCall: number;
  /** Round trips per call cycle: readsPerCall − backgroundReadsPerCall. */
  roundTripsPerCall: number;
  /** redis-server CPU per call (user + sys), µs; and the background share of it. */
  redisCpuPerCallMicros: number;
  backgroundCpuPerCallMicros: number;
  /** Wall time of the measured calls, and of the idle window the background was measured over. */
  runMs: number;
  idleMs: number;
  setup: LatencySummary;
  faults: number;
  notes: string[];
}

const perCall = (n: number, calls: number): number => Math.round((n / calls) * 100) / 100;

function ranked(counts: Record<string, number>, calls: number): { command: string; perCall: number }[] {
  return Object.entries(counts)
    .sort(([, a], [, b]) => b - a)
    .map(([command, n]) => ({ command, perCall: perCall(n, calls) }));
}

/**
 * Goal 2 of issue 16, counted on the wire of Redis itself. One pair calls back to back, caller
 * and callee on different nodes when there are several:
 *  1. CONFIG RESETSTAT, the calls, INFO: commands (per command), socket reads, Redis CPU.
 *  2. The nodes stay connected and idle at least as long: the background (timer polls, liveness
 *     beats, the work-stream reader) in reads and CPU, scaled to the length of the calls.
 *  3. The same number of calls under MONITOR: who issued each command, a node or a script.
 */
export async function runRedisCost(target: Target, plan: Plan, log: (line: string) => void): Promise<RedisCostRun> {
  const { calls, warmup, minIdleMs } = plan.redisCost;
  const running = await RunningTarget.launch(target, { secret: plan.secret });
  const probe = running.redisUrl ? await RedisProbe.connect(running.redisUrl) : null;
  try {
    if (!probe || !running.redisUrl) throw new Error(`redis-cost: ${target.id} has no redis-server`);
    const generator = await startGenerator(`${target.id} redis-cost generator`);
    try {
      await generator.request({ op: 'pairs', urls: running.urls, secret: plan.secret, pairs: 1, prefix: 'cost', ringMs: 0 });
      await generator.request<LatencyFloorResult>({ op: 'latency', calls: warmup, warmup: 0 });
      await waitForQuiet(plan.quietWaitMs);

      await probe.command('CONFIG', 'RESETSTAT');
      const from = await readCounters(probe);
      const t0 = performance.now();
      const measured = await generator.request<LatencyFloorResult>({ op: 'latency', calls, warmup: 0 });
      const runMs = performance.now() - t0;
      const run = countersBetween(from, await readCounters(probe));

      const idleFrom = await readCounters(probe);
      const i0 = performance.now();
      await sleep(Math.max(minIdleMs, runMs));
      const idleMs = performance.now() - i0;
      const idle = countersBetween(idleFrom, await readCounters(probe));
      const scaled = (n: number): number => (n * runMs) / idleMs;

      const monitor = await MonitorTally.start(running.redisUrl, [probe.clientAddress]);
      const watched = await generator.request<LatencyFloorResult>({ op: 'latency', calls, warmup: 0 });
      await sleep(50);
      const seen = monitor.stop();

      const background = (pick: (c: RedisCounters) => number): number => perCall(scaled(pick(idle)), calls);
      const ownCommands: Record<string, number> = {};
      for (const [name, n] of Object.entries(run.commands)) {
        const own = n - scaled(idle.commands[name] ?? 0);
        if (own > 0) ownCommands[name] = own;
      }
      const result: RedisCostRun = {
        nodes: running.urls.length,
        calls,
        commandsPerCall: perCall(totalCommands(run) - scaled(totalCommands(idle)), calls),
        backgroundCommandsPerCall: background(totalCommands),
        perCommand: ranked(ownCommands, calls),
        sentPerCall: perCall(seen.sent, calls),
        luaPerCall: perCall(seen.lua, calls),
        monitorPerCommand: ranked(seen.byCommand, calls),
        readsPerCall: perCall(run.reads, calls),
        backgroundReadsPerCall: background((c) => c.reads),
        roundTripsPerCall: perCall(run.reads - scaled(idle.reads), calls),
        redisCpuPerCallMicros: Math.round(run.cpuMicros / calls),
        backgroundCpuPerCallMicros: Math.round(scaled(idle.cpuMicros) / calls),
        runMs: Math.round(runMs),
        idleMs: Math.round(idleMs),
        setup: measured.setup,
        faults: faults(measured.tally) + faults(watched.tally),
        notes: [...measured.tally.notes, ...watched.tally.notes].slice(0, 5),
      };
      log(
        `  ${target.id}: ${result.commandsPerCall} commands per call (${result.sentPerCall} sent by the nodes, ${result.luaPerCall} in scripts), ` +
          `${result.roundTripsPerCall} round trips (${result.readsPerCall} reads − ${result.backgroundReadsPerCall} background), ` +
          `Redis CPU ${result.redisCpuPerCallMicros} µs per call; ${calls} calls in ${result.runMs} ms`,
      );
      return result;
    } finally {
      await generator.stop();
    }
  } finally {
    probe?.close();
    await running.stop();
  }
}
