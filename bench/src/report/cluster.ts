import type { BenchResults } from '../results.js';
import type { ThroughputStep } from '../workloads/throughput.js';
import { cpuPerCall, ms, table, type Row } from './format.js';

const ONE = 'callgate-cluster-1';
const THREE = 'callgate-cluster-3';

/** Redis CPU per completed call in a throughput step, µs; null when the target has no Redis. */
export const redisCpuPerCall = (s: ThroughputStep): number | null =>
  s.redisCpu == null || s.completedPerSecond <= 0 ? null : Math.round((s.redisCpu * 1e6) / s.completedPerSecond);

/** Node and Redis CPU per call of one node and of three on Redis, at the highest rate both passed. */
export interface ScaleOut {
  rate: number;
  /** Node CPU per call, one node. */
  one: number;
  /** All three nodes' CPU together per call. */
  three: number;
  /** three ÷ one. */
  ratio: number;
  /** Each of the three nodes' share of one core at that rate. */
  threeEach: number[];
  /** Redis CPU per call, with one node and with three. */
  redisOne: number | null;
  redisThree: number | null;
}

export function scaleOut(results: BenchResults): ScaleOut | null {
  const passed = (id: string): ThroughputStep[] => results.throughput[id]?.steps.filter((s) => s.passed) ?? [];
  const threeRates = new Set(passed(THREE).map((s) => s.rate));
  const step1 = passed(ONE).filter((s) => threeRates.has(s.rate)).sort((a, b) => b.rate - a.rate)[0];
  const step3 = step1 && passed(THREE).find((s) => s.rate === step1.rate);
  const one = step1 && cpuPerCall(step1);
  const three = step3 && cpuPerCall(step3);
  if (!step1 || !step3 || !one || !three) return null;
  return {
    rate: step1.rate,
    one,
    three,
    ratio: three / one,
    threeEach: step3.nodeCpu ?? [],
    redisOne: redisCpuPerCall(step1),
    redisThree: redisCpuPerCall(step3),
  };
}

export function redisCostSection(results: BenchResults): string {
  const runs = Object.entries(results.redisCost ?? {});
  if (!runs.length) return '';
  const rows: Row[] = runs.map(([id, r]) => [
    id,
    r.nodes,
    r.calls,
    r.commandsPerCall,
    `${r.sentPerCall} / ${r.luaPerCall}`,
    r.roundTripsPerCall,
    `${r.readsPerCall} − ${r.backgroundReadsPerCall}`,
    r.redisCpuPerCallMicros,
    ms(r.setup.p99),
    r.faults,
  ]);
  const breakdown: Row[] = [];
  for (const [id, r] of runs) {
    breakdown.push([id, r.perCommand.filter((c) => c.perCall >= 0.05).map((c) => `${c.command} ${c.perCall}`).join(', ')]);
    breakdown.push([`${id} (MONITOR)`, r.monitorPerCommand.filter((c) => c.perCall >= 0.05).map((c) => `${c.command} ${c.perCall}`).join(', ')]);
  }
  return [
    '### Redis cost per call cycle (one pair, sequential calls; caller and callee on different nodes when there are several)',
    '',
    'Commands: `INFO commandstats` after `CONFIG RESETSTAT`, scripts\' own commands included, less the background of an idle window. Sent / in scripts: a second run of as many calls under `MONITOR` (`[0 lua]` lines are a script\'s). Round trips: `total_reads_processed` (one per batch of requests a connection delivered together) less the same over the idle window, scaled to the calls\' duration. Redis CPU: `used_cpu_user + used_cpu_sys`.',
    '',
    table(['target', 'nodes', 'calls', 'commands per call', 'sent by nodes / in scripts', 'round trips per call', 'reads − background', 'Redis CPU per call (µs)', 'setup p99 (ms)', 'faults'], rows),
    '',
    table(['target', 'per call, command by command'], breakdown),
  ].join('\n');
}

/** Calls/s of N nodes on N + 2 cores (one per node, one for Redis, one for the rest), from measured CPU per call. */
export interface CapacityRow {
  nodes: number;
  nodeBound: number;
  redisBound: number;
  predicted: number;
  limit: 'nodes' | 'Redis';
}

/**
 * Redis CPU per call: from the throughput step of three nodes (or one), else from the sequential
 * calls of the redis-cost workload (a call there pays for its round trips alone: an upper bound).
 */
export function redisPerCall(results: BenchResults, s: ScaleOut): { micros: number; source: string } | null {
  if (s.redisThree ?? s.redisOne) return { micros: (s.redisThree ?? s.redisOne)!, source: `at ${s.rate}/s` };
  const sequential = results.redisCost?.[THREE] ?? results.redisCost?.[ONE];
  return sequential ? { micros: sequential.redisCpuPerCallMicros, source: 'of sequential calls (redis-cost; an upper bound: nothing is batched)' } : null;
}

export function capacityModel(s: ScaleOut, redisMicros: number | null): { rows: CapacityRow[]; redisLimitAt: number | null } | null {
  const redis = redisMicros;
  if (!redis) return null;
  const rows: CapacityRow[] = [];
  for (let nodes = 1; nodes <= 8; nodes++) {
    const perCall = nodes === 1 ? s.one : s.three;
    const nodeBound = Math.round((nodes * 1e6) / perCall);
    const redisBound = Math.round(1e6 / redis);
    rows.push({ nodes, nodeBound, redisBound, predicted: Math.min(nodeBound, redisBound), limit: nodeBound < redisBound ? 'nodes' : 'Redis' });
  }
  return { rows, redisLimitAt: Math.ceil(s.three / redis) };
}

/** The model against this machine: nodes pinned to one core, Redis and the generator to the other. */
function scaleCheckPart(results: BenchResults): string[] {
  const check = results.scaleCheck;
  if (!check) return [];
  const rows: Row[] = Object.entries(check.climbs).map(([id, c]) => {
    const best = c.steps.find((s) => s.passed && s.rate === c.maxRate);
    return [
      id,
      c.nodes,
      c.maxRate === null ? 'none passed' : `${c.saturated ? '' : '≥ '}${c.maxRate}`,
      c.cpuPerCallMicros ?? '—',
      c.modelCeiling ?? '—',
      best ? `${Math.round(best.serverCpu * 100)} %` : '—',
      best?.redisCpu == null ? '—' : `${Math.round(best.redisCpu * 100)} %`,
      best ? `${Math.round(best.generatorCpu * 100)} %` : '—',
    ];
  });
  return [
    '',
    `#### The model against this machine (taskset: nodes on CPU ${check.pin.nodes}, redis-server and the generator on CPU ${check.pin.rest})`,
    '',
    'With 2 cores the nodes can have one core between them, whatever their number: the model says that core passes at most 10⁶ ÷ (node CPU per call) calls/s, and two nodes on it as many as one if nothing grows with the node count. What 2 cores cannot show: more than one core of nodes, and Redis becoming the limit (that needs N + 2 cores).',
    '',
    table(['target', 'nodes', 'highest passing rate (calls/s)', 'node CPU per call there (µs)', 'model ceiling for one core (calls/s)', 'node CPU there', 'Redis CPU there', 'generator CPU there'], rows),
  ];
}

export function scaleOutSection(results: BenchResults): string {
  const s = scaleOut(results);
  if (!s) return scaleCheckPart(results).join('\n').trim();
  const each = s.threeEach.map((c) => `${Math.round(c * 100)} %`).join(', ');
  const parts = [
    `### Scale-out on Redis: node CPU per call, 1 node against 3 (at ${s.rate} calls/s, the highest rate both passed)`,
    '',
    table(
      ['', 'node CPU per call (µs, all nodes together)', 'each node\'s CPU', 'Redis CPU per call (µs)'],
      [
        ['1 node', s.one, '', s.redisOne ?? '—'],
        ['3 nodes', s.three, each, s.redisThree ?? '—'],
        ['3 ÷ 1', `${s.ratio.toFixed(2)}×`, '', ''],
      ],
    ),
  ];
  const redis = redisPerCall(results, s);
  const model = capacityModel(s, redis?.micros ?? null);
  if (model && redis) {
    parts.push(
      '',
      '#### Capacity model (from the CPU per call above)',
      '',
      `N nodes on a machine with N + 2 cores: one core per node, one for redis-server (single-threaded), one for the rest. ` +
        `Nodes limit the rate at N × 10⁶ ÷ ${s.three} µs (${s.one} µs for one node); Redis at 10⁶ ÷ ${redis.micros} µs (its CPU per call ${redis.source}). ` +
        `A core is counted as fully usable, so the figures are ceilings; they hold only if per-call CPU stays flat beyond three nodes (goal 3 checks it up to three). ` +
        `Redis becomes the limit at **${model.redisLimitAt} nodes**.`,
      '',
      table(
        ['nodes', 'cores', 'node-bound calls/s', 'Redis-bound calls/s', 'predicted calls/s', 'limit'],
        model.rows.map((r) => [r.nodes, r.nodes + 2, r.nodeBound, r.redisBound, r.predicted, r.limit]),
      ),
    );
  }
  parts.push(...scaleCheckPart(results));
  return parts.join('\n');
}
