import { setTimeout as sleep } from 'node:timers/promises';
import type { PresenceEntry } from '@callgate/protocol';
import { faults } from '../load/call-pair.js';
import type { ConnectOutcome } from '../load/connect-all.js';
import type { LatencySummary } from '../load/latency-histogram.js';
import type { LatencyFloorResult } from '../load/pair-pool.js';
import { waitForQuiet } from '../machine-load.js';
import { RunningTarget } from '../nodes/launch.js';
import type { LoopDelay } from '../nodes/node-probe.js';
import type { Plan } from '../plan.js';
import type { Target } from '../targets.js';
import { freshSourceAddress, startGenerator } from './generators.js';

/** One node of the crowd: its users, how fast they came, what they cost, how its loop ran. */
export interface CrowdNode {
  users: number;
  /** This node's users ÷ the time to connect everyone (all nodes were connected to at once). */
  connectsPerSecond: number;
  /** (RSS after − RSS before) ÷ users, after a full GC, bytes. */
  rssPerUser: number | null;
  rssMiB: number;
  loopDelay: LoopDelay | null;
}

/** Goal 4 of issue 16: a large idle crowd over several nodes sharing one Redis. */
export interface CrowdRun {
  nodes: number;
  requested: number;
  /** Why fewer users than the plan asked for were tried (files per process), or null. */
  limitedBy: string | null;
  connected: number;
  failed: number;
  firstError?: string;
  generators: number;
  connectMs: number;
  perNode: CrowdNode[];
  /** Presence: sampled users as a watcher on another node saw them. */
  presence: { sampled: number; online: number; offlineExpected: number; wrong: number; notes: string[] };
  /** Sampled users left out of the presence check because they had failed to connect. */
  presenceSkipped: number;
  /** Sequential calls of one pair on two different nodes while the crowd sits (and the loop is watched). */
  calls: { count: number; setup: LatencySummary; ring: LatencySummary; faults: number; notes: string[] };
  /** How long the event loops were watched (longer than the 20 s heartbeat interval in the full plan). */
  watchedMs: number;
}

/** Files a node keeps open besides its users' sockets (listening socket, Redis, stdio, epoll, …). */
const FILE_HEADROOM = 256;
const SAMPLE_PER_NODE = 95;
const ABSENT_PER_NODE = 5;

const userId = (generator: number, index: number): string => `crowd${generator}x${index}`;

/**
 * `users` idle authenticated users over the target's nodes (user i of each generator on node
 * i mod nodes), each generator a process of its own with at most `perGenerator` users from its
 * own 127.0.0.x address. Then, while they sit: a watcher on the next node asks for the presence of
 * users sampled from each node (and of a few who never connected), one pair on two nodes calls
 * back to back, and every node's event loop is watched for `watchMs`.
 */
export async function runCrowd(target: Target, plan: Plan, log: (line: string) => void): Promise<CrowdRun> {
  if (!plan.crowd) throw new Error('this plan has no crowd run');
  const { perGenerator, concurrency, calls, watchMs } = plan.crowd;
  const running = await RunningTarget.launch(target, { secret: plan.secret, exposeGc: true });
  const generators: Awaited<ReturnType<typeof startGenerator>>[] = [];
  try {
    const nodes = running.urls.length;
    const room = running.maxOpenFiles === null ? Number.POSITIVE_INFINITY : running.maxOpenFiles - FILE_HEADROOM;
    const fits = Number.isFinite(room) ? Math.min(plan.crowd.users, room * nodes) : plan.crowd.users;
    const limitedBy = fits < plan.crowd.users ? `${nodes} nodes × ${room} users (a process may open ${running.maxOpenFiles} files here, less ${FILE_HEADROOM} for the node's own)` : null;
    const count = Math.ceil(fits / perGenerator);
    const shares = Array.from({ length: count }, (_, g) => Math.floor(fits / count) + (g < fits % count ? 1 : 0));
    const onNode = (share: number, node: number): number => Math.floor(share / nodes) + (node < share % nodes ? 1 : 0);
    log(`crowd: ${fits} users over ${nodes} nodes from ${count} generators${limitedBy ? ` (limited by ${limitedBy})` : ''}`);
    const before = await running.memoryEach();
    for (let g = 0; g < count; g++) {
      const generator = await startGenerator(`${target.id} crowd ${g + 1}`);
      generators.push(generator);
      await generator.request({ op: 'idle', urls: running.urls, secret: plan.secret, count: shares[g], prefix: `crowd${g}x`, localAddress: freshSourceAddress() });
    }
    await waitForQuiet(plan.quietWaitMs);
    const t0 = performance.now();
    const outcomes = await Promise.all(generators.map((g) => g.request<ConnectOutcome>({ op: 'idle-connect', concurrency })));
    const connectMs = Math.round(performance.now() - t0);
    const connected = outcomes.reduce((n, o) => n + o.connected, 0);
    const failed = outcomes.reduce((n, o) => n + o.failed, 0);
    const firstError = outcomes.find((o) => o.firstError)?.firstError;
    log(`  ${connected}/${fits} connected in ${connectMs} ms${failed ? `, ${failed} failed: ${firstError}` : ''}`);
    await sleep(1000);
    const after = await running.memoryEach();

    // Presence, as seen from the next node: users of node k, and some who never came.
    const presence: CrowdRun['presence'] = { sampled: 0, online: 0, offlineExpected: 0, wrong: 0, notes: [] };
    const failedIds = new Set(outcomes.flatMap((o, g) => o.failedIndexes.map((i) => userId(g, i))));
    let presenceSkipped = 0;
    const checker = await startGenerator(`${target.id} crowd checker`);
    generators.push(checker);
    for (let node = 0; node < nodes; node++) {
      const present: string[] = [];
      // Users i ≡ node (mod nodes) of each generator are on this node: a few of each, spread over its share.
      const quota = Math.ceil(SAMPLE_PER_NODE / count);
      for (let g = 0; g < count; g++) {
        const stride = Math.max(1, Math.floor(onNode(shares[g]!, node) / quota)) * nodes;
        for (let i = node, taken = 0; i < shares[g]! && taken < quota && present.length < SAMPLE_PER_NODE; i += stride, taken++) {
          if (failedIds.has(userId(g, i))) presenceSkipped++;
          else present.push(userId(g, i));
        }
      }
      const absent = Array.from({ length: ABSENT_PER_NODE }, (_, i) => `crowd-absent-${node}-${i}`);
      const seen = await checker.request<PresenceEntry[]>({ op: 'presence', url: running.urls[(node + 1) % nodes], secret: plan.secret, watcher: `crowd-watcher-${node}`, users: [...present, ...absent] });
      const status = new Map(seen.map((e) => [e.userId, e.status]));
      const judge = (id: string, online: boolean): void => {
        const got = status.get(id);
        const right = online ? got === 'idle' : got === 'offline';
        if (right) online ? presence.online++ : presence.offlineExpected++;
        else {
          presence.wrong++;
          if (presence.notes.length < 5) presence.notes.push(`${id} on node ${node + 1}: ${got ?? 'missing'}, expected ${online ? 'idle' : 'offline'}`);
        }
      };
      present.forEach((id) => judge(id, true));
      absent.forEach((id) => judge(id, false));
      presence.sampled += present.length + absent.length;
    }

    // One pair on nodes 1 and 2 calls back to back while every loop is watched.
    await checker.request({ op: 'pairs', urls: running.urls, secret: plan.secret, pairs: 1, prefix: 'crowdcall', ringMs: 0 });
    const [loops, floor] = await Promise.all([
      running.loopDelayEach(watchMs),
      checker.request<LatencyFloorResult>({ op: 'latency', calls, warmup: Math.min(20, calls) }),
    ]);
    const perNode: CrowdNode[] = running.urls.map((_, node) => {
      const users = shares.reduce((sum, share) => sum + onNode(share, node), 0);
      const rss = after[node]!.rss - before[node]!.rss;
      return {
        users,
        connectsPerSecond: Math.round((users * 1000) / Math.max(1, connectMs)),
        rssPerUser: users > 0 ? Math.round(rss / users) : null,
        rssMiB: Math.round(after[node]!.rss / 2 ** 20),
        loopDelay: loops[node] ?? null,
      };
    });
    const run: CrowdRun = {
      nodes,
      requested: plan.crowd.users,
      limitedBy,
      connected,
      failed,
      ...(firstError ? { firstError } : {}),
      generators: count,
      connectMs,
      perNode,
      presence,
      presenceSkipped,
      calls: { count: floor.calls, setup: floor.setup, ring: floor.ring, faults: faults(floor.tally), notes: floor.tally.notes },
      watchedMs: Math.min(...loops.map((l) => l.watchedMs)),
    };
    const worstLoop = Math.max(...loops.map((l) => l.maxMs));
    const worstRss = Math.max(...perNode.map((n) => n.rssPerUser ?? 0));
    log(
      `  presence ${presence.online + presence.offlineExpected}/${presence.sampled} right; call setup p99 ${floor.setup.p99} ms over ${floor.calls} calls; ` +
        `event-loop max ${worstLoop} ms over ${run.watchedMs} ms; RSS per user up to ${worstRss} B`,
    );
    return run;
  } finally {
    await running.stop();
    await Promise.all(generators.map((g) => g.stop()));
  }
}
