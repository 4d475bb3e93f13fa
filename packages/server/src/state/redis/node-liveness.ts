import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';

export interface NodeLivenessOptions {
  client: Redis;
  keys: RedisKeys;
  node: string;
  /** How often this node says it is alive. */
  heartbeatMs: number;
  /** A node silent this long is dead. */
  nodeTimeoutMs: number;
  /** Called once per dead node, on the one node that declared it dead. */
  onDead(node: string): void;
}

/**
 * Heartbeats in one sorted set (node → last beat): each node beats, and each node looks for
 * nodes that stopped. The node whose ZREM removes a dead node is the one that handles its death.
 */
export class NodeLiveness {
  private readonly intervals: NodeJS.Timeout[] = [];

  constructor(private readonly options: NodeLivenessOptions) {}

  async start(): Promise<void> {
    await this.beat();
    this.every(this.options.heartbeatMs, () => this.beat());
    this.every(this.options.heartbeatMs, () => this.sweep());
  }

  async beat(): Promise<void> {
    await this.options.client.zadd(this.options.keys.nodes, Date.now(), this.options.node).catch(() => {});
  }

  /** The nodes whose heartbeat is recent. */
  async liveNodes(): Promise<Set<string>> {
    const { client, keys, nodeTimeoutMs } = this.options;
    return new Set(await client.zrangebyscore(keys.nodes, Date.now() - nodeTimeoutMs, '+inf'));
  }

  stop(): void {
    this.intervals.forEach(clearInterval);
  }

  private async sweep(): Promise<void> {
    const { client, keys, node: self, nodeTimeoutMs } = this.options;
    try {
      const dead = await client.zrangebyscore(keys.nodes, '-inf', Date.now() - nodeTimeoutMs);
      for (const node of dead) {
        if (node !== self && (await client.zrem(keys.nodes, node)) === 1) this.options.onDead(node);
      }
    } catch {
      // Try again on the next beat.
    }
  }

  private every(ms: number, task: () => Promise<void>): void {
    const interval = setInterval(() => void task(), ms);
    interval.unref();
    this.intervals.push(interval);
  }
}
