import { faults } from '../load/call-pair.js';
import type { LatencySummary } from '../load/latency-histogram.js';
import type { BenchResults } from '../results.js';
import type { ConnectionRun } from '../workloads/connections.js';
import type { ThroughputStep } from '../workloads/throughput.js';
import { redisCostSection, scaleOutSection } from './cluster.js';
import { crowdSection } from './crowd.js';
import { goalsSection } from './goals.js';
import { cpuPerCall, kib, mib, ms, orDash, pct, ratio, table, type Row } from './format.js';

function baselineId(results: BenchResults): string {
  return results.targets.find((t) => t.baseline)?.id ?? 'relay';
}

function ranTargets(results: BenchResults, section: Record<string, unknown>): string[] {
  const base = baselineId(results);
  const ids = Object.keys(section);
  return [...ids.filter((id) => id === base), ...ids.filter((id) => id !== base)];
}

function latencyCells(s: LatencySummary): Row {
  return [ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)];
}

function latencySection(results: BenchResults): string {
  const ids = ranTargets(results, results.latency);
  if (!ids.length) return '';
  const base = results.latency[baselineId(results)];
  const rows: Row[] = [];
  for (const id of ids) {
    const r = results.latency[id]!;
    rows.push([id, r.ring.count, ...latencyCells(r.ring), ...latencyCells(r.setup), faults(r.tally)]);
    if (base && id !== baselineId(results)) {
      const q = (a: number, b: number): string => ratio(a, b);
      rows.push([
        `${id} ÷ baseline`,
        '',
        q(r.ring.p50, base.ring.p50),
        q(r.ring.p90, base.ring.p90),
        q(r.ring.p99, base.ring.p99),
        q(r.ring.max, base.ring.max),
        q(r.setup.p50, base.setup.p50),
        q(r.setup.p90, base.setup.p90),
        q(r.setup.p99, base.setup.p99),
        q(r.setup.max, base.setup.max),
        '',
      ]);
    }
  }
  return [
    '### Latency floor (one pair, sequential calls, ms)',
    '',
    table(
      ['target', 'calls', 'ring p50', 'ring p90', 'ring p99', 'ring max', 'setup p50', 'setup p90', 'setup p99', 'setup max', 'faults'],
      rows,
    ),
  ].join('\n');
}

function throughputSection(results: BenchResults): string {
  const ids = ranTargets(results, results.throughput);
  if (!ids.length) return '';
  const base = results.throughput[baselineId(results)];
  const limit = results.plan.throughput.p99LimitMs;
  // CPU per call is compared at the highest rate every target passed, so the load is the same.
  const passedBy = (id: string): Set<number> => new Set(results.throughput[id]!.steps.filter((s) => s.passed).map((s) => s.rate));
  const common = ids.map(passedBy).reduce((a, b) => new Set([...a].filter((r) => b.has(r))));
  const commonRate = common.size ? Math.max(...common) : null;
  const atCommon = (id: string) => results.throughput[id]?.steps.find((s) => s.rate === commonRate && s.passed);
  const baseCommon = atCommon(baselineId(results));
  const summary: Row[] = ids.map((id) => {
    const t = results.throughput[id]!;
    const best = t.steps.find((s) => s.rate === t.maxRate);
    const max = t.maxRate === null ? 'none passed' : `${t.saturated ? '' : '≥ '}${t.maxRate}`;
    return [
      id,
      max,
      best ? best.completedPerSecond : '—',
      best ? ms(best.setup.p99) : '—',
      best ? pct(best.serverCpu) : '—',
      best ? pct(best.generatorCpu) : '—',
      orDash(atCommon(id) ? cpuPerCall(atCommon(id)!) : null),
      t.halfRate ? `${t.halfRate.rate}/s: ${ms(t.halfRate.ring.p99)}` : '—',
      id === baselineId(results) ? '1.00×' : ratio(t.maxRate, base?.maxRate),
      id === baselineId(results) ? '1.00×' : ratio(atCommon(id) && cpuPerCall(atCommon(id)!), baseCommon && cpuPerCall(baseCommon)),
    ];
  });
  const parts = [
    `### Throughput (open-loop arrivals; pass = p99 setup < ${limit} ms, no error, no lost or misrouted event, no dropped arrival)`,
    '',
    table(
      ['target', 'highest passing rate (calls/s)', 'completed/s there', 'p99 setup there (ms)', 'server CPU there', 'generator CPU there', `server CPU per call at ${commonRate ?? '—'}/s (µs)`, 'p99 ring at half that rate (ms)', 'rate ÷ baseline', 'CPU per call ÷ baseline'],
      summary,
    ),
  ];
  for (const id of ids) {
    const t = results.throughput[id]!;
    const rows: Row[] = t.steps.map((s) => [
      s.rate,
      s.completedPerSecond,
      ms(s.setup.p50),
      ms(s.setup.p99),
      ms(s.setup.max),
      ms(s.ring.p99),
      s.tally.errors,
      s.tally.lost,
      s.tally.misrouted,
      s.tally.wrong,
      s.dropped,
      pct(s.serverCpu),
      orDash(cpuPerCall(s)),
      pct(s.generatorCpu),
      s.redisCpu == null ? '—' : pct(s.redisCpu),
      s.otherLoad === null ? '—' : s.otherLoad.toFixed(2),
      `${s.passed ? 'pass' : '**fail**'}${s.retried ? ' (2nd try)' : ''}`,
    ]);
    parts.push(
      '',
      `#### Steps: ${id}`,
      '',
      table(
        ['offered/s', 'completed/s', 'setup p50', 'setup p99', 'setup max', 'ring p99', 'errors', 'lost', 'misrouted', 'wrong', 'dropped', 'server CPU', 'server µs/call', 'generator CPU', 'Redis CPU', 'other load (cores)', ''],
        rows,
      ),
    );
    const notes = t.steps.flatMap((s) => s.tally.notes.map((n) => `${s.rate}/s: ${n}`)).slice(0, 5);
    if (notes.length) parts.push('', 'First problems seen:', '', ...notes.map((n) => `- ${n}`));
  }
  return parts.join('\n');
}

function connectionsSection(results: BenchResults): string {
  const ids = ranTargets(results, results.connections);
  if (!ids.length) return '';
  const base = results.connections[baselineId(results)] ?? [];
  const rows: Row[] = [];
  for (const id of ids) {
    for (const run of results.connections[id]!) {
      if (run.skipped) {
        rows.push([id, run.size, '—', '—', '—', '—', '—', '—', '—', `not run: ${run.skipped}`]);
        continue;
      }
      const b: ConnectionRun | undefined = base.find((r) => r.size === run.size && !r.skipped);
      const vs = id === baselineId(results) || !b ? '' : `RSS ${ratio(run.rssPerConnection, b.rssPerConnection)}, heap ${ratio(run.heapPerConnection, b.heapPerConnection)}`;
      rows.push([
        id,
        run.size === 'max' ? `max (${run.requested})` : run.size,
        `${run.connected}${run.failed ? ` (${run.failed} failed)` : ''}`,
        (run.connectMs / 1000).toFixed(2),
        run.connectsPerSecond,
        kib(run.rssPerConnection),
        kib(run.heapPerConnection),
        run.after ? mib(run.after.rss) : '—',
        run.idleLoopDelay ? `${ms(run.idleLoopDelay.maxMs)} / ${ms(run.idleLoopDelay.p99Ms)}` : '—',
        vs,
      ]);
    }
  }
  return [
    '### Idle authenticated connections (per node, memory after a full GC)',
    '',
    table(['target', 'users', 'connected', 'time to connect all (s)', 'connects/s', 'RSS per connection (KiB)', 'heap per connection (KiB)', 'node RSS (MiB)', 'idle event-loop delay max / p99 (ms)', 'per connection ÷ baseline'], rows),
  ].join('\n');
}

function queuesSection(results: BenchResults): string {
  const ids = Object.keys(results.queues ?? {});
  if (!ids.length) return '';
  const rows: Row[] = [];
  for (const id of ids) {
    for (const run of results.queues![id]!) {
      const f = run.freeToOffer;
      rows.push([
        id,
        run.customers,
        run.agents,
        f.count,
        `${ms(f.p50)} / ${ms(f.p99)} / ${ms(f.max)}`,
        Math.round((run.positions * 1000) / Math.max(1, run.durationMs)),
        run.served ? (run.positions / run.served).toFixed(2) : '—',
        pct(run.cpuShare),
        run.cpuPerOfferMicros,
        run.faults,
      ]);
    }
  }
  return [
    '### Contact centre: a crowd waiting, agents taking customers one after another',
    '',
    'Agents hang up after a fixed talk time; the queue has no wrap-up, so the hang-up frees the agent and the same decision offers it the head of the line. "Free → offer" is from sending FINISH to receiving the next REQUEST at the agent.',
    '',
    table(['target', 'waiting customers', 'agents', 'offers', 'free → offer p50 / p99 / max (ms)', 'position messages/s', 'position messages per served customer', 'server CPU', 'server CPU per offer (µs)', 'faults'], rows),
  ].join('\n');
}

function pendingSection(results: BenchResults): string {
  const pending = results.targets.filter((t) => t.pending);
  if (!pending.length) return '';
  return ['### Not run yet', '', ...pending.map((t) => `- **${t.title}** (\`${t.id}\`): ${t.pending}.`)].join('\n');
}

function profileSection(results: BenchResults): string {
  const p = results.profile;
  if (!p) return '';
  const s = p.summary;
  return [
    `### CPU profile of the Callgate node at ${p.rate} calls/s (${(p.step.durationMs / 1000).toFixed(0)} s, --cpu-prof)`,
    '',
    `Busy ${ms(s.busyMs / 1000)} s of ${ms(s.wallMs / 1000)} s sampled. Self time by package:`,
    '',
    table(['package', 'self ms', 'share of busy'], s.areas.slice(0, 12).map((a) => [a.area, a.selfMs.toFixed(0), `${a.share} %`])),
    '',
    'Top functions by self time:',
    '',
    table(['function', 'where', 'package', 'self ms', 'share of busy'], s.top.map((f) => [`\`${f.name}\``, f.location ? `\`${f.location}\`` : '', f.area, f.selfMs.toFixed(0), `${f.share} %`])),
  ].join('\n');
}

function historySection(results: BenchResults): string {
  const ids = Object.keys(results.history ?? {});
  if (!ids.length) return '';
  const rows: Row[] = [];
  for (const id of ids) {
    const r = results.history![id]!;
    rows.push([id, r.records, 0, r.quiet.ring.count, ...latencyCells(r.quiet.ring), '—', '—', faults(r.quiet.tally)]);
    rows.push([id, r.records, r.readers, r.loaded.ring.count, ...latencyCells(r.loaded.ring), `${r.readsPerSecond}`, `${ms(r.reads.p50)} / ${ms(r.reads.p99)}`, faults(r.loaded.tally)]);
    const step = r.halfRate;
    if (step) rows.push([`${id} at ${step.rate}/s (open loop)`, r.records, r.readers, step.ring.count, ...latencyCells(step.ring), '—', '—', faults(step.tally)]);
  }
  return [
    '### History readers against ring delivery (one pair calling; readers loop on `/api/calls?limit=1` of one user; records in a SQLite file; ms)',
    '',
    table(['target', "the user's records", 'readers', 'calls', 'ring p50', 'ring p90', 'ring p99', 'ring max', 'reads/s', 'read p50 / p99', 'faults'], rows),
  ].join('\n');
}

function machineSection(results: BenchResults): string {
  const m = results.machine;
  return table(
    ['machine', ''],
    [
      ['CPU', m.cpu],
      ['cores', m.cores],
      ['memory', `${m.memoryGiB} GiB`],
      ['Node', m.node],
      ['OS', m.os],
      ['open files per process', m.maxOpenFiles ?? 'unknown'],
      ['ephemeral ports', m.ephemeralPorts ?? 'unknown'],
      ['commit', m.commit ?? 'unknown'],
      ['bench priority', `nice ${m.nice}`],
      ['load average at start', m.loadAverage],
      ['run', `${results.mode}, ${results.startedAt}, ${results.durationSeconds} s`],
      ...(results.partialRuns ?? []).map((run): Row => [
        `run of ${run.workloads.join(', ')} alone`,
        `${run.startedAt}, ${run.durationSeconds} s, commit ${run.machine.commit ?? 'unknown'}, ${run.machine.cpu}, load average ${run.machine.loadAverage}`,
      ]),
    ],
  );
}

const sections = (results: BenchResults): string[] =>
  [latencySection(results), throughputSection(results), connectionsSection(results), queuesSection(results), historySection(results), redisCostSection(results), scaleOutSection(results), crowdSection(results), goalsSection(results), pendingSection(results), profileSection(results)].filter(Boolean);

/** The tables, for the terminal. */
export function renderConsole(results: BenchResults): string {
  return ['', machineSection(results), ...sections(results)].join('\n\n');
}

/** BENCHMARKS.md: the tables of a full run around the hand-written method and findings. */
export function renderReport(results: BenchResults, findings: string, chartPath: string): string {
  const [head, ...rest] = findings.split('<!-- results -->');
  return [
    (head ?? '').trimEnd(),
    '',
    '## Results',
    '',
    machineSection(results),
    '',
    ...sections(results).flatMap((s) => [s, '']),
    `![Setup latency against offered rate](${chartPath})`,
    '',
    rest.join('').trim(),
    '',
  ].join('\n');
}
