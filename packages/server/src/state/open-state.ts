import type { Logger } from 'pino';
import type { StateBackend } from './backend.js';
import type { Cluster } from './cluster.js';
import { LocalCluster } from './local-cluster.js';
import { MemoryStateBackend } from './memory-backend.js';
import { RedisStateBackend } from './redis/redis-backend.js';
import { RedisCluster } from './redis/redis-cluster.js';

export interface StateOptions {
  /** Cluster mode: a Redis URL. Without it, state lives in this process. */
  redis?: string;
  redisPrefix?: string;
  node?: string;
  nodeTimeoutMs?: number;
  logger: Logger;
}

/** Where this server keeps its state, and the nodes it shares it with. */
export interface State {
  backend: StateBackend;
  cluster: Cluster;
  close(): Promise<void>;
}

/** One node in memory, or a node of the cluster on `options.redis`; the only place that picks. */
export async function openState(options: StateOptions): Promise<State> {
  if (!options.redis) {
    const backend = new MemoryStateBackend();
    return { backend, cluster: new LocalCluster(), close: () => backend.close() };
  }
  const cluster = new RedisCluster({
    url: options.redis,
    logger: options.logger,
    ...(options.redisPrefix !== undefined ? { prefix: options.redisPrefix } : {}),
    ...(options.node !== undefined ? { node: options.node } : {}),
    ...(options.nodeTimeoutMs !== undefined ? { nodeTimeoutMs: options.nodeTimeoutMs } : {}),
  });
  const backend = new RedisStateBackend(cluster);
  const close = async (): Promise<void> => {
    await backend.close();
    await cluster.close();
  };
  try {
    await cluster.start();
    await backend.start();
  } catch (error) {
    await close();
    throw error;
  }
  return { backend, cluster, close };
}
