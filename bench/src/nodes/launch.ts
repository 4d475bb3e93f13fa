import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildChannel } from '../ipc.js';
import type { NodeLaunch, Target } from '../targets.js';
import type { LoopDelay, NodeCpu, NodeMemory, NodeReady } from './node-probe.js';
import { RedisService } from './redis-service.js';

export interface LaunchOptions {
  secret: string;
  /** Start the node with --expose-gc, so that memory is measured after a full GC. */
  exposeGc?: boolean;
  /** Write a V8 CPU profile of each node into this folder when it stops. */
  cpuProfileDir?: string;
  /** More startServer options for this run (e.g. the queues a workload needs). */
  nodeOptions?: Record<string, unknown>;
  /** Pin the nodes to these CPUs and the target's redis-server (and the load generator) to the others (taskset lists, e.g. '0' and '1'). */
  pin?: { nodes: string; rest: string };
}

/** Pins every thread of a running process to `cpus` (a taskset list). */
export function pinProcess(pid: number | undefined, cpus: string): void {
  if (pid !== undefined) execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

const scripts: Record<NodeLaunch['kind'], URL> = {
  callgate: new URL('./callgate-node.js', import.meta.url),
  relay: new URL('./relay-node.js', import.meta.url),
};

/** A target's server node(s), each in its own child process. */
export class RunningTarget {
  private constructor(
    readonly target: Target,
    private readonly nodes: ChildChannel<NodeReady>[],
    readonly ready: NodeReady[],
    private readonly scratch: string[],
    private readonly redis: RedisService | null,
  ) {}

  static async launch(target: Target, options: LaunchOptions): Promise<RunningTarget> {
    const execArgv: string[] = [];
    if (options.exposeGc) execArgv.push('--expose-gc');
    if (options.cpuProfileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
    const scratch: string[] = [];
    const redis = target.nodes.some((n) => n.kind === 'callgate' && n.cluster) ? await RedisService.start() : null;
    const redisPrefix = `bench-${target.id}:`;
    const nodes = target.nodes.map((launch, i) => {
      let args: string[] = [];
      if (launch.kind === 'callgate') {
        const nodeOptions = { ...launch.options, ...options.nodeOptions };
        if (launch.recordsFile) {
          const dir = mkdtempSync(join(tmpdir(), 'callgate-bench-'));
          scratch.push(dir);
          nodeOptions.db = join(dir, 'callgate.db');
        }
        if (launch.cluster && redis) Object.assign(nodeOptions, { redis: redis.url, redisPrefix, node: `${target.id}-${i + 1}` });
        args = [JSON.stringify({ secret: options.secret, options: nodeOptions })];
      }
      return ChildChannel.start<NodeReady>(`${target.id} node ${i + 1}`, scripts[launch.kind], args, execArgv);
    });
    try {
      const ready = await Promise.all(nodes.map((n) => n.ready));
      if (options.pin) {
        ready.forEach((r) => pinProcess(r.pid, options.pin!.nodes));
        pinProcess(redis?.pid, options.pin.rest);
      }
      return new RunningTarget(target, nodes, ready, scratch, redis);
    } catch (error) {
      nodes.forEach((n) => n.kill());
      scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
      await redis?.stop();
      throw error;
    }
  }

  get urls(): string[] {
    return this.ready.map((r) => r.url);
  }

  /** The target's own redis-server, when it is a cluster target. */
  get redisUrl(): string | null {
    return this.redis?.url ?? null;
  }

  /** The smallest open-files limit among the nodes. */
  get maxOpenFiles(): number | null {
    const limits = this.ready.map((r) => r.maxOpenFiles).filter((l): l is number => l !== null);
    return limits.length ? Math.min(...limits) : null;
  }

  /** Memory of each node, in the order of `urls`, after GC when started with exposeGc. */
  memoryEach(): Promise<NodeMemory[]> {
    return Promise.all(this.nodes.map((n) => n.request<NodeMemory>({ op: 'memory' })));
  }

  /** Memory of all nodes together, after GC when started with exposeGc. */
  async memory(): Promise<NodeMemory> {
    const each = await this.memoryEach();
    return each.reduce((sum, m) => ({
      rss: sum.rss + m.rss,
      heapUsed: sum.heapUsed + m.heapUsed,
      heapTotal: sum.heapTotal + m.heapTotal,
      external: sum.external + m.external,
      arrayBuffers: sum.arrayBuffers + m.arrayBuffers,
      afterGc: sum.afterGc && m.afterGc,
    }));
  }

  /** CPU time used by all nodes so far, in microseconds. */
  async cpuMicros(): Promise<number> {
    return (await this.cpuMicrosEach()).reduce((sum, micros) => sum + micros, 0);
  }

  /** CPU time used by each node so far, in microseconds, in the order of `urls`. */
  async cpuMicrosEach(): Promise<number[]> {
    const each = await Promise.all(this.nodes.map((n) => n.request<NodeCpu>({ op: 'cpu' })));
    return each.map((c) => c.micros);
  }

  /** CPU time the target's redis-server has used so far, µs; null without one. */
  async redisCpuMicros(): Promise<number | null> {
    return this.redis ? this.redis.cpuMicros() : null;
  }

  /** Watches the nodes' event-loop delay for `ms` and returns the worst node's figures. */
  async loopDelay(ms: number): Promise<LoopDelay> {
    const each = await this.loopDelayEach(ms);
    return each.reduce((worst, d) => (d.maxMs > worst.maxMs ? d : worst));
  }

  /** Watches the nodes' event-loop delay for `ms`; each node's figures, in the order of `urls`. */
  async loopDelayEach(ms: number): Promise<LoopDelay[]> {
    await Promise.all(this.nodes.map((n) => n.request({ op: 'loop-watch' })));
    await new Promise((resolve) => setTimeout(resolve, ms));
    return Promise.all(this.nodes.map((n) => n.request<LoopDelay>({ op: 'loop-delay' })));
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    this.scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
    await this.redis?.stop();
  }
}
