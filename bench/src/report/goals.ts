import type { BenchResults } from '../results.js';
import type { ThroughputStep } from '../workloads/throughput.js';
import { capacityModel, redisPerCall, scaleOut } from './cluster.js';
import { cpuPerCall, kib, ms, table, type Row } from './format.js';

/** met / **not met** / — (not measured). */
const verdict = (ok: boolean | null): string => (ok === null ? '—' : ok ? 'met' : '**not met**');

/** Server CPU per call of `id` and of `base` at the highest rate both passed. */
function cpuPerCallAtCommonRate(results: BenchResults, id: string, base: string): { rate: number; value: number; baseValue: number } | null {
  const passed = (t: string): ThroughputStep[] => results.throughput[t]?.steps.filter((s) => s.passed) ?? [];
  const baseRates = new Set(passed(base).map((s) => s.rate));
  const common = passed(id).filter((s) => baseRates.has(s.rate)).sort((a, b) => b.rate - a.rate)[0];
  const baseStep = common && passed(base).find((s) => s.rate === common.rate);
  const value = common && cpuPerCall(common);
  const baseValue = baseStep && cpuPerCall(baseStep);
  return common && value && baseValue ? { rate: common.rate, value, baseValue } : null;
}

/** "rate ≥ share × base's rate", judged only when both climbs found their limit. */
function rateRow(results: BenchResults, goal: string, id: string, base: string, share: number): Row {
  const t = results.throughput[id];
  const b = results.throughput[base];
  if (!t?.maxRate || !b?.maxRate) return [goal, 'not measured', '—'];
  const r = t.maxRate / b.maxRate;
  const bounded = t.saturated && b.saturated;
  return [goal, `${r.toFixed(2)}× (${t.maxRate} vs ${b.maxRate} calls/s${bounded ? '' : '; a rate that did not fail is only a lower bound'})`, bounded ? verdict(r >= share) : '—'];
}

/** "CPU per call ≤ limit × base's", at the highest rate both passed. */
function cpuRow(results: BenchResults, goal: string, id: string, base: string, limit: number): Row {
  const c = cpuPerCallAtCommonRate(results, id, base);
  if (!c) return [goal, 'not measured', '—'];
  const r = c.value / c.baseValue;
  return [goal, `${r.toFixed(2)}× (${c.value} vs ${c.baseValue} µs at ${c.rate}/s)`, verdict(r <= limit)];
}

function redisCostRows(results: BenchResults): Row[] {
  const runs = Object.entries(results.redisCost ?? {});
  if (!runs.length) return [['≤ 12 Redis commands per call cycle', 'not measured', '—'], ['≤ 4 Redis round trips per call cycle', 'not measured', '—']];
  const each = (pick: (r: (typeof runs)[number][1]) => number): string => runs.map(([id, r]) => `${pick(r)} (${id})`).join(', ');
  return [
    ['≤ 12 Redis commands per call cycle', each((r) => r.commandsPerCall), verdict(runs.every(([, r]) => r.commandsPerCall <= 12))],
    ['≤ 4 Redis round trips per call cycle', each((r) => r.roundTripsPerCall), verdict(runs.every(([, r]) => r.roundTripsPerCall <= 4))],
  ];
}

function redisCpuRow(results: BenchResults): Row {
  const runs = Object.entries(results.redisCost ?? {});
  const s = scaleOut(results);
  const sequential = runs.map(([id, r]) => `${r.redisCpuPerCallMicros} µs (${id}, sequential calls)`);
  const loaded = s ? [`${s.redisOne ?? '—'} / ${s.redisThree ?? '—'} µs with 1 / 3 nodes at ${s.rate}/s`] : [];
  const all = [...sequential, ...loaded];
  return ["Redis's own CPU per call reported", all.length ? all.join('; ') : 'not measured', all.length ? 'reported' : '—'];
}

function scaleOutRows(results: BenchResults): Row[] {
  const s = scaleOut(results);
  const model = s && capacityModel(s, redisPerCall(results, s)?.micros ?? null);
  const check = results.scaleCheck;
  return [
    [
      '3 nodes: node CPU per call within 10 % of one node on Redis',
      s ? `${s.ratio.toFixed(2)}× (${s.three} µs for all three together vs ${s.one} µs, at ${s.rate}/s)` : 'not measured',
      s ? verdict(s.ratio <= 1.1) : '—',
    ],
    [
      'capacity model: calls/s for N nodes on N + 2 cores, where Redis becomes the limit',
      model ? `Redis limits from ${model.redisLimitAt} nodes (${model.rows[0]!.redisBound} calls/s); see the capacity model` : 'not measured',
      model ? 'shown' : '—',
    ],
    [
      'model checked against this machine (1 vs 2 nodes, generator pinned apart)',
      check ? check.summary : 'not measured',
      check ? 'shown' : '—',
    ],
  ];
}

function crowdRows(results: BenchResults): Row[] {
  const run = Object.values(results.crowd ?? {})[0];
  const goals = [
    '100,000 idle users across 6 nodes on Redis: all connected',
    'presence right',
    'call between nodes: p99 setup < 50 ms while they sit',
    'RSS per user ≤ 10 KiB',
    'no event-loop stall over 50 ms (window longer than the heartbeat interval)',
    'connect rate ≥ 3,000 users/s per node',
  ];
  if (!run) return goals.map((g) => [g, 'not measured', '—']);
  const worstRss = Math.max(...run.perNode.map((n) => n.rssPerUser ?? 0));
  const worstLoop = Math.max(...run.perNode.map((n) => n.loopDelay?.maxMs ?? 0));
  const slowest = Math.min(...run.perNode.map((n) => n.connectsPerSecond));
  const single = (results.connections.callgate ?? []).filter((c) => !c.skipped && c.connected > 0).sort((a, b) => b.connected - a.connected)[0];
  const p = run.presence;
  return [
    [goals[0]!, `${run.connected} of ${run.requested}${run.limitedBy ? ` (limited by ${run.limitedBy})` : ''}${run.failed ? `, ${run.failed} failed` : ''}`, verdict(run.connected >= 100_000 && run.failed === 0)],
    [goals[1]!, `${p.online + p.offlineExpected} of ${p.sampled} sampled right`, verdict(p.wrong === 0 && p.sampled > 0)],
    [goals[2]!, `${ms(run.calls.setup.p99)} ms over ${run.calls.count} calls, ${run.calls.faults} faults`, verdict(run.calls.setup.p99 < 50 && run.calls.faults === 0)],
    [goals[3]!, `up to ${kib(worstRss)} KiB (the worst of ${run.nodes} nodes)`, verdict(worstRss <= 10_240)],
    [goals[4]!, `${ms(worstLoop)} ms max over ${(run.watchedMs / 1000).toFixed(0)} s (the worst node)`, verdict(worstLoop <= 50 && run.watchedMs > 20_000)],
    [
      goals[5]!,
      `${slowest}/s on the slowest of ${run.nodes} nodes, all connected to at once on ${results.machine.cores} shared cores` +
        (single ? `; one node alone: ${single.connectsPerSecond}/s (${single.connected} users)` : ''),
      verdict(slowest >= 3000),
    ],
  ];
}

function queueRows(results: BenchResults): Row[] {
  const rows: Row[] = [];
  for (const [id, label] of [['callgate', 'one node'], ['callgate-cluster-3', 'three nodes on Redis']] as const) {
    const runs = results.queues?.[id] ?? [];
    const big = runs.find((r) => r.customers >= 5000) ?? runs.sort((a, b) => b.customers - a.customers)[0];
    rows.push([
      `${label}: 5,000 waiting, 200 agents: agent free → offer p99 < 5 ms`,
      big ? `${ms(big.freeToOffer.p99)} ms (${big.customers} waiting, ${big.agents} agents)` : 'not measured',
      big ? verdict(big.freeToOffer.p99 < 5 && big.customers >= 5000 && big.faults === 0) : '—',
    ]);
    const sized = runs.filter((r) => r.served > 0).sort((a, b) => a.customers - b.customers);
    const small = sized[0];
    const large = sized[sized.length - 1];
    const perServed = (r: { positions: number; served: number }): number => r.positions / r.served;
    const growth = small && large && large !== small ? perServed(large) / Math.max(1e-9, perServed(small)) : null;
    rows.push([
      `${label}: position updates do not grow with the square of the queue`,
      small && large && growth !== null
        ? `${perServed(small).toFixed(1)} position messages per served customer at ${small.customers} waiting, ${perServed(large).toFixed(1)} at ${large.customers} (${growth.toFixed(2)}×; one to every waiting customer per served one would be ${(large.customers / small.customers).toFixed(0)}×)`
        : 'not measured at two sizes',
      growth === null ? '—' : verdict(growth < Math.sqrt(large!.customers / small!.customers)),
    ]);
  }
  return rows;
}

function historyRow(results: BenchResults): Row {
  const r = results.history?.['callgate-records'];
  const step = r?.halfRate;
  const atHalf = step ? `${ms(step.ring.p99)} ms at ${step.rate}/s (half the max rate) with ${r!.readers} readers on ${r!.records} records` : 'not measured at half the max rate';
  return [
    'ring p99 < 5 ms at half the max rate while four readers read a user with 100,000 records',
    r ? `${atHalf}; one pair calling back to back: ${ms(r.loaded.ring.p99)} ms with the readers, ${ms(r.quiet.ring.p99)} ms without` : 'not measured',
    r && step ? verdict(step.ring.p99 < 5 && r.records >= 100_000 && r.readers >= 4) : '—',
  ];
}

export function goalsSection(results: BenchResults): string {
  const base = results.targets.find((t) => t.baseline)?.id ?? 'relay';
  const rows: Row[] = [
    ['**1** one node, records in a SQLite file: server CPU per call ≤ 1.5× the relay', ...cpuRow(results, '', 'callgate-records', base, 1.5).slice(1)],
    ['**1** highest passing rate ≥ 0.8× the relay', ...rateRow(results, '', 'callgate-records', base, 0.8).slice(1)],
    ...redisCostRows(results).map((r, i) => [i === 0 ? `**2** ${r[0]}` : `**2** ${r[0]}`, r[1]!, r[2]!]),
    ['**2** one node on Redis: rate ≥ 0.5× the in-memory node', ...rateRow(results, '', 'callgate-cluster-1', 'callgate', 0.5).slice(1)],
    ['**2** one node on Redis: node CPU per call ≤ 2× the in-memory node', ...cpuRow(results, '', 'callgate-cluster-1', 'callgate', 2).slice(1)],
    ['**2** ' + redisCpuRow(results)[0], redisCpuRow(results)[1]!, redisCpuRow(results)[2]!],
    ...scaleOutRows(results).map((r) => [`**3** ${r[0]}`, r[1]!, r[2]!]),
    ...crowdRows(results).map((r) => [`**4** ${r[0]}`, r[1]!, r[2]!]),
    ...queueRows(results).map((r) => [`**5** ${r[0]}`, r[1]!, r[2]!]),
    ['**6** ' + historyRow(results)[0], historyRow(results)[1]!, historyRow(results)[2]!],
  ];
  // A quick run's sizes are too small to judge a goal by.
  const judged = results.mode === 'quick' ? rows.map((r) => [r[0]!, r[1]!, '— (quick run)']) : rows;
  return ['### Goals of issue 16', '', table(['goal', 'measured', 'met'], judged)].join('\n');
}
