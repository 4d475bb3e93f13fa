import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createAccessToken } from '@callgate/server';
import { LatencyHistogram, type LatencySummary } from '../load/latency-histogram.js';
import type { LatencyFloorResult, StepResult } from '../load/pair-pool.js';
import { waitForQuiet } from '../machine-load.js';
import { RunningTarget } from '../nodes/launch.js';
import type { Plan } from '../plan.js';
import type { Target } from '../targets.js';
import { startGenerator } from './generators.js';

/** Ring delivery of one pair with and without history readers hammering one long history. */
export interface HistoryRun {
  records: number;
  readers: number;
  /** The pair alone. */
  quiet: LatencyFloorResult;
  /** The pair while the readers read. */
  loaded: LatencyFloorResult;
  /** `/api/calls?limit=1` as the readers saw it, while the pair called. */
  reads: LatencySummary;
  readsPerSecond: number;
  /** Open-loop calls at half the target's highest passing rate, while the readers read. */
  halfRate?: StepResult;
}

const HEAVY = 'history-heavy';
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** `count` ended calls of HEAVY, half as caller, in the records file (with their party rows, as the writer leaves them). */
function seed(path: string, count: number): void {
  const db = new Database(path);
  try {
    const call = db.prepare(
      `insert into call_records (call_id, caller, callee, flags, param, user_str, phase, node, requested_at, ended_at, outcome, error_code, ended_by, ended_in, updated_at)
       values (?, ?, ?, 0, 0, '', 'ended', 'seed', ?, ?, 'offline', 100102, 'server', 'requested', ?)`,
    );
    const party = db.prepare('insert into call_parties (call_id, user_id, requested_at) values (?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const id = `seed-${i}`;
        const other = `seed-peer-${i % 500}`;
        const [caller, callee] = i % 2 ? [HEAVY, other] : [other, HEAVY];
        const at = T0 + i * 1000;
        call.run(id, caller, callee, at, at + 5, at + 5);
        party.run(id, caller, at);
        party.run(id, callee, at);
      }
    })();
  } finally {
    db.close();
  }
}

/**
 * Issue 12 item 7's question: do history reads of a user with many records hold up the calls?
 * A SQLite file is seeded with `records` calls of one user; one pair calls back to back (the
 * latency floor) alone, then again while `readers` loops each read that user's newest page with
 * its token, as fast as they are answered; then, with the readers still reading, a pool of pairs
 * calls open-loop at `halfRate` calls/s (half the target's highest passing rate).
 */
export async function runHistory(target: Target, plan: Plan, halfRate: number, log: (line: string) => void): Promise<HistoryRun> {
  const { records, readers, calls, warmup } = plan.history;
  const dir = mkdtempSync(join(tmpdir(), 'callgate-bench-history-'));
  const db = join(dir, 'callgate.db');
  // The target as it is, on a file of our own (so that it can be seeded between two starts).
  const own: Target = { ...target, nodes: target.nodes.map((node) => (node.kind === 'callgate' ? { ...node, recordsFile: false } : node)) };
  try {
    await (await RunningTarget.launch(own, { secret: plan.secret, nodeOptions: { db } })).stop();
    log(`history: seeding ${records} records of one user`);
    seed(db, records);
    const running = await RunningTarget.launch(own, { secret: plan.secret, nodeOptions: { db } });
    try {
      const httpUrl = running.urls[0]!.replace(/^ws/, 'http');
      const token = await createAccessToken({ secret: plan.secret, userId: HEAVY, ttlSeconds: 3600 });
      const first = await fetch(`${httpUrl}/api/calls?limit=1`, { headers: { authorization: `Bearer ${token}` } });
      const page = (await first.json()) as { calls: { callId: string }[] };
      if (first.status !== 200 || page.calls[0]?.callId !== `seed-${records - 1}`) throw new Error(`history: unexpected first page ${first.status} ${JSON.stringify(page)}`);
      const generator = await startGenerator(`${target.id} history generator`);
      try {
        await waitForQuiet(plan.quietWaitMs);
        await generator.request({ op: 'pairs', urls: running.urls, secret: plan.secret, pairs: 1, prefix: 'history', ringMs: 0 });
        const quiet = await generator.request<LatencyFloorResult>({ op: 'latency', calls, warmup });
        const reads = new LatencyHistogram();
        let stop = false;
        let done = 0;
        const reader = async (): Promise<void> => {
          while (!stop) {
            const startedAt = performance.now();
            const answer = await fetch(`${httpUrl}/api/calls?limit=1`, { headers: { authorization: `Bearer ${token}` } });
            await answer.arrayBuffer();
            if (answer.status !== 200) throw new Error(`history read: ${answer.status}`);
            reads.recordMs(performance.now() - startedAt);
            done++;
          }
        };
        const loops = Array.from({ length: readers }, () => reader());
        const loadedAt = performance.now();
        const loaded = await generator.request<LatencyFloorResult>({ op: 'latency', calls, warmup });
        const seconds = (performance.now() - loadedAt) / 1000;
        const readsSummary = reads.summary();
        const readsPerSecond = Math.round(done / seconds);
        let step: StepResult | undefined;
        const crowd = await startGenerator(`${target.id} history load generator`);
        try {
          await crowd.request({ op: 'pairs', urls: running.urls, secret: plan.secret, pairs: plan.throughput.pairs, prefix: 'history-load', ringMs: 0 });
          step = await crowd.request<StepResult>({ op: 'step', rate: halfRate, durationMs: plan.throughput.stepMs, drainMs: plan.throughput.drainMs });
        } finally {
          stop = true;
          await Promise.all(loops);
          await crowd.stop();
        }
        const run: HistoryRun = { records, readers, quiet, loaded, reads: readsSummary, readsPerSecond, halfRate: step };
        log(
          `history: ring p99 ${quiet.ring.p99} ms alone, ${loaded.ring.p99} ms with ${readers} readers (${readsPerSecond} reads/s, p99 ${readsSummary.p99} ms); ` +
            `${halfRate}/s with the readers: ring p99 ${step.ring.p99} ms`,
        );
        return run;
      } finally {
        await generator.stop();
      }
    } finally {
      await running.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
