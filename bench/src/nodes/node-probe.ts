import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { answerRequests, type Request } from '../ipc.js';

/** What a server node tells the bench about itself; answered only inside bench processes. */
export interface NodeMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** False when the node was started without --expose-gc, so the figures include garbage. */
  afterGc: boolean;
}

export interface NodeCpu {
  /** Microseconds of CPU time (user + system) used so far. */
  micros: number;
}

/** How late the node's event loop ran while it was watched: long stalls delay every user. */
export interface LoopDelay {
  p99Ms: number;
  maxMs: number;
  watchedMs: number;
}

export interface NodeReady {
  url: string;
  pid: number;
  /** RLIMIT_NOFILE of this process (soft), or null when unknown. */
  maxOpenFiles: number | null;
}

export function maxOpenFiles(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? null : Number(soft);
  } catch {
    return null;
  }
}

async function memoryAfterGc(): Promise<NodeMemory> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    for (let i = 0; i < 4; i++) {
      gc();
      await sleep(50);
    }
  }
  const usage = process.memoryUsage();
  return {
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    afterGc: gc !== undefined,
  };
}

/**
 * Serves a started node to the bench parent over IPC: `memory` (after GC), `cpu`, `stop`.
 * `stop` closes the server and exits normally, so that --cpu-prof writes its profile.
 */
export function serveNode(url: string, close: () => Promise<void>): void {
  const ready: NodeReady = { url, pid: process.pid, maxOpenFiles: maxOpenFiles() };
  let loop: { histogram: IntervalHistogram; since: number } | undefined;
  answerRequests(ready, async (request: Request) => {
    switch (request.op) {
      case 'loop-watch': {
        loop?.histogram.disable();
        loop = { histogram: monitorEventLoopDelay({ resolution: 5 }), since: performance.now() };
        loop.histogram.enable();
        return null;
      }
      case 'loop-delay': {
        if (!loop) throw new Error('loop-delay: not watching');
        loop.histogram.disable();
        const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
        const delay: LoopDelay = {
          p99Ms: ms(loop.histogram.percentile(99)),
          maxMs: ms(loop.histogram.max),
          watchedMs: Math.round(performance.now() - loop.since),
        };
        loop = undefined;
        return delay;
      }
      case 'memory':
        return memoryAfterGc();
      case 'cpu': {
        const usage = process.cpuUsage();
        return { micros: usage.user + usage.system } satisfies NodeCpu;
      }
      case 'stop':
        setImmediate(() => {
          const exit = (): never => process.exit(0);
          close().then(exit, exit);
          setTimeout(exit, 5_000).unref();
        });
        return null;
      default:
        throw new Error(`unknown request ${request.op}`);
    }
  });
}
