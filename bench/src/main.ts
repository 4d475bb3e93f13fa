import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { faults } from './load/call-pair.js';
import { describeMachine } from './machine.js';
import { fullPlan, quickPlan } from './plan.js';
import { renderConsole, renderReport } from './report/markdown.js';
import { renderSetupChart } from './report/svg-chart.js';
import type { BenchResults } from './results.js';
import { targets, type Target, type WorkloadName } from './targets.js';
import { runConnections } from './workloads/connections.js';
import { runLatencyFloor } from './workloads/latency-floor.js';
import { runProfile } from './workloads/profile.js';
import { runThroughput } from './workloads/throughput.js';
import { runQueues } from './workloads/queues.js';
import { runHistory } from './workloads/history.js';
import { runRedisCost } from './workloads/redis-cost.js';
import { runCrowd } from './workloads/crowd.js';
import { runScaleCheck } from './workloads/scale-check.js';

const usage = `npm run bench -- [--quick] [--only latency,throughput,connections,queues,history,redis-cost,crowd,scale-check,profile] [--report]

  --quick    CI smoke run (under a minute): small sizes, prints the tables, writes bench/results/quick.json;
             exits 1 on any error, lost, misrouted or wrong event (never on timing)
  --only     run only these workloads (full mode still rewrites latest.json and BENCHMARKS.md, keeping
             the other workloads' figures from the previous latest.json)
  --report   run nothing: rewrite BENCHMARKS.md and the chart from bench/results/latest.json`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    report: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));
const reportFile = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));
const findingsFile = fileURLToPath(new URL('../findings.md', import.meta.url));
const latestFile = `${resultsDir}latest.json`;
const chartFile = `${resultsDir}setup-latency.svg`;
const log = (line: string): void => console.error(line);

function writeReport(results: BenchResults): void {
  const findings = readFileSync(findingsFile, 'utf8');
  writeFileSync(chartFile, renderSetupChart(results));
  writeFileSync(reportFile, renderReport(results, findings, 'bench/results/setup-latency.svg'));
  log(`wrote ${reportFile} and ${chartFile}`);
}

if (values.report) {
  writeReport(JSON.parse(readFileSync(latestFile, 'utf8')) as BenchResults);
  process.exit(0);
}

const plan = values.quick ? quickPlan : fullPlan;
if (plan.nice !== null) {
  try {
    os.setPriority(plan.nice); // inherited by every server and generator process started below
  } catch {
    log(`could not set nice ${plan.nice}; running at ${os.getPriority()}`);
  }
}
const only = values.only ? new Set(values.only.split(',').map((w) => w.trim())) : null;
const wanted = (workload: WorkloadName): boolean => only === null || only.has(workload);
const runnable = (workload: WorkloadName): Target[] =>
  wanted(workload) ? targets.filter((t) => !t.pending && t.workloads.includes(workload)) : [];
const started = new Date();
const results: BenchResults = {
  version: 1,
  mode: plan.mode,
  startedAt: started.toISOString(),
  finishedAt: '',
  durationSeconds: 0,
  machine: describeMachine(),
  plan,
  targets: targets.map((t) => ({ id: t.id, title: t.title, baseline: t.baseline === true, ...(t.pending ? { pending: t.pending } : {}) })),
  latency: {},
  throughput: {},
  connections: {},
  queues: {},
  history: {},
  redisCost: {},
  crowd: {},
  scaleCheck: null,
  profile: null,
};
const previous = only && plan.mode === 'full' && existsSync(latestFile) ? (JSON.parse(readFileSync(latestFile, 'utf8')) as BenchResults) : null;
if (previous) {
  // Only some workloads run: the others' figures are kept, with the machine and time they were measured on.
  if (!wanted('latency')) results.latency = previous.latency;
  if (!wanted('throughput')) results.throughput = previous.throughput;
  if (!wanted('connections')) results.connections = previous.connections;
  if (!wanted('queues')) results.queues = previous.queues ?? {};
  if (!wanted('history')) results.history = previous.history ?? {};
  if (!wanted('redis-cost')) results.redisCost = previous.redisCost ?? {};
  if (!wanted('crowd')) results.crowd = previous.crowd ?? {};
  if (!wanted('scale-check')) results.scaleCheck = previous.scaleCheck ?? null;
  if (!wanted('profile')) results.profile = previous.profile;
}

log(`callgate bench (${plan.mode}) on ${results.machine.cpu}, ${results.machine.cores} cores, node ${results.machine.node}`);
for (const target of runnable('latency')) {
  log(`latency floor: ${target.id}`);
  results.latency[target.id] = await runLatencyFloor(target, plan);
}
if (runnable('throughput').length) {
  log(`throughput: ${runnable('throughput').map((t) => t.id).join(', ')}, side by side`);
  results.throughput = await runThroughput(runnable('throughput'), plan, log);
}
for (const target of runnable('connections')) {
  log(`connections: ${target.id}`);
  const runs = [];
  for (const size of plan.connections.sizes) runs.push(await runConnections(target, plan, size, log));
  results.connections[target.id] = runs;
}
for (const target of runnable('queues')) {
  const runs = [];
  for (const size of plan.queues.sizes) runs.push(await runQueues(target, plan, size, log));
  results.queues![target.id] = runs;
}
for (const target of runnable('history')) {
  log(`history readers: ${target.id}`);
  // Half the highest rate this target passed in this run (or the last full run), else the plan's.
  const max = results.throughput[target.id]?.maxRate ?? previous?.throughput[target.id]?.maxRate ?? null;
  results.history![target.id] = await runHistory(target, plan, max ? Math.round(max / 2 / 50) * 50 : plan.history.fallbackRate, log);
}
for (const target of runnable('redis-cost')) {
  log(`redis cost per call: ${target.id}`);
  results.redisCost![target.id] = await runRedisCost(target, plan, log);
}
if (plan.crowd) {
  for (const target of runnable('crowd')) results.crowd![target.id] = await runCrowd(target, plan, log);
}
if (plan.scaleCheck && runnable('scale-check').length) {
  log(`capacity check, pinned: ${runnable('scale-check').map((t) => t.id).join(', ')}`);
  results.scaleCheck = await runScaleCheck(runnable('scale-check'), plan, log);
}
if (plan.profile) {
  for (const target of runnable('profile')) {
    const max = results.throughput[target.id]?.maxRate;
    const rate = max ? Math.round((max * plan.profile.share) / 50) * 50 : plan.profile.fallbackRate;
    log(`profile: ${target.id} at ${rate}/s`);
    results.profile = await runProfile(target, plan, rate, `${resultsDir}profile`, log);
  }
}
const finished = new Date();
results.finishedAt = finished.toISOString();
results.durationSeconds = Math.round((finished.getTime() - started.getTime()) / 1000);
if (previous && only) {
  const partial = { workloads: [...only], startedAt: results.startedAt, durationSeconds: results.durationSeconds, machine: results.machine };
  const kept = (previous.partialRuns ?? []).filter((run) => !run.workloads.every((w) => only.has(w)));
  Object.assign(results, { startedAt: previous.startedAt, finishedAt: previous.finishedAt, durationSeconds: previous.durationSeconds, machine: previous.machine });
  results.partialRuns = [...kept, partial];
}

mkdirSync(resultsDir, { recursive: true });
const out = plan.mode === 'quick' ? `${resultsDir}quick.json` : latestFile;
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(renderConsole(results));
log(`wrote ${out} (${results.durationSeconds} s)`);
if (plan.mode === 'full') writeReport(results);

// Timing is reported, never judged here; a wrong, lost or misrouted event is a bug, whatever the load.
const problems = [
  ...Object.entries(results.latency).map(([id, r]) => [`${id} latency floor`, faults(r.tally)] as const),
  ...Object.entries(results.throughput).flatMap(([id, t]) => t.steps.map((s) => [`${id} at ${s.rate}/s`, faults(s.tally)] as const)),
  ...Object.entries(results.connections).flatMap(([id, runs]) => runs.map((r) => [`${id} ${r.size} idle users`, r.failed] as const)),
  ...Object.entries(results.queues ?? {}).flatMap(([id, runs]) => runs.map((r) => [`${id} queue of ${r.customers}`, r.faults] as const)),
  ...Object.entries(results.history ?? {}).map(([id, r]) => [`${id} history readers`, faults(r.quiet.tally) + faults(r.loaded.tally) + (r.halfRate ? faults(r.halfRate.tally) : 0)] as const),
  ...Object.entries(results.redisCost ?? {}).map(([id, r]) => [`${id} redis cost`, r.faults] as const),
  ...Object.entries(results.crowd ?? {}).map(([id, r]) => [`${id} idle crowd`, r.failed + r.presence.wrong + r.calls.faults] as const),
].filter(([, count]) => count > 0);
if (plan.mode === 'quick' && problems.length) {
  for (const [where, count] of problems) log(`FAULT: ${where}: ${count} errors, lost, misrouted or wrong events, or failed connections`);
  process.exit(1);
}
