import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectOutcome } from '../load/connect-all.js';
import { waitForQuiet } from '../machine-load.js';
import { RunningTarget } from '../nodes/launch.js';
import type { LoopDelay, NodeMemory } from '../nodes/node-probe.js';
import type { Plan } from '../plan.js';
import type { Target } from '../targets.js';
import { freshSourceAddress, startGenerator } from './generators.js';

export interface ConnectionRun {
  /** '10000', '50000' or 'max'. */
  size: string;
  requested: number;
  /** Why this size was not run (e.g. the process may not open that many files). */
  skipped?: string;
  connected: number;
  failed: number;
  firstError?: string;
  /** From the first handshake to the last welcome, every generator together. */
  connectMs: number;
  connectsPerSecond: number;
  before: NodeMemory | null;
  after: NodeMemory | null;
  /** (after − before) / connected, bytes. */
  rssPerConnection: number | null;
  heapPerConnection: number | null;
  generators: number;
  sourceAddresses: string[];
  /** The node's event-loop delay while the users sat idle (a window longer than the heartbeat interval). */
  idleLoopDelay: LoopDelay | null;
}

/** Files a node keeps open besides its users' sockets (listening socket, stdio, epoll, …). */
const FILE_HEADROOM = 256;

export async function runConnections(target: Target, plan: Plan, size: number | 'max', log: (line: string) => void): Promise<ConnectionRun> {
  const running = await RunningTarget.launch(target, { secret: plan.secret, exposeGc: true });
  const generators: Awaited<ReturnType<typeof startGenerator>>[] = [];
  try {
    const limit = running.maxOpenFiles;
    const room = limit === null ? Number.POSITIVE_INFINITY : limit - FILE_HEADROOM;
    const requested = size === 'max' ? (Number.isFinite(room) ? room : 100_000) : size;
    const empty = { size: String(size), requested, connected: 0, failed: 0, connectMs: 0, connectsPerSecond: 0, before: null, after: null, rssPerConnection: null, heapPerConnection: null, generators: 0, sourceAddresses: [], idleLoopDelay: null };
    if (requested > room) {
      return {
        ...empty,
        skipped: `a server process may open only ${limit} files here (RLIMIT_NOFILE hard limit; raising it needs CAP_SYS_RESOURCE)`,
      };
    }
    const before = await running.memory();
    const count = Math.ceil(requested / plan.connections.perGenerator);
    const addresses: string[] = [];
    for (let g = 0; g < count; g++) {
      const share = Math.floor(requested / count) + (g < requested % count ? 1 : 0);
      const generator = await startGenerator(`${target.id} idle crowd ${g + 1}`);
      generators.push(generator);
      const localAddress = freshSourceAddress();
      addresses.push(localAddress);
      await generator.request({ op: 'idle', urls: running.urls, secret: plan.secret, count: share, prefix: `idle${g}x`, localAddress });
    }
    await waitForQuiet(plan.quietWaitMs);
    const t0 = performance.now();
    const outcomes = await Promise.all(
      generators.map((g) => g.request<ConnectOutcome>({ op: 'idle-connect', concurrency: plan.connections.concurrency })),
    );
    const connectMs = Math.round(performance.now() - t0);
    const connected = outcomes.reduce((n, o) => n + o.connected, 0);
    const failed = outcomes.reduce((n, o) => n + o.failed, 0);
    const firstError = outcomes.find((o) => o.firstError)?.firstError;
    await sleep(1000);
    const after = await running.memory();
    const idleLoopDelay = plan.connections.watchIdleMs > 0 ? await running.loopDelay(plan.connections.watchIdleMs) : null;
    const per = (a: number, b: number): number | null => (connected > 0 ? Math.round((a - b) / connected) : null);
    const run: ConnectionRun = {
      ...empty,
      connected,
      failed,
      ...(firstError ? { firstError } : {}),
      connectMs,
      connectsPerSecond: Math.round((connected * 1000) / Math.max(1, connectMs)),
      before,
      after,
      rssPerConnection: per(after.rss, before.rss),
      heapPerConnection: per(after.heapUsed, before.heapUsed),
      generators: count,
      sourceAddresses: addresses,
      idleLoopDelay,
    };
    log(
      `  ${target.id} ${size}: ${connected}/${requested} connected in ${connectMs} ms, ` +
        `${run.rssPerConnection} B RSS and ${run.heapPerConnection} B heap per connection` +
        `${idleLoopDelay ? `, idle event-loop delay max ${idleLoopDelay.maxMs} ms` : ''}${failed ? `, ${failed} failed: ${firstError}` : ''}`,
    );
    return run;
  } finally {
    await running.stop();
    await Promise.all(generators.map((g) => g.stop()));
  }
}
