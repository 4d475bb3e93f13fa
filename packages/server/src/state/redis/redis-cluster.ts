import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { Cluster, ClusterMessage, WorkStream, WorkStreamOptions } from '../cluster.js';
import { RedisKeys } from './keys.js';
import { NodeLiveness } from './node-liveness.js';
import { StreamHub } from './stream-hub.js';

export interface RedisClusterOptions {
  /** redis://host:port/db */
  url: string;
  /** Key prefix shared by every node of one deployment. Default "callgate:". */
  prefix?: string;
  /** This node's name; unique in the cluster. Default: host, pid and a random part. */
  node?: string;
  /** How often this node says it is alive. Default 1000 ms. */
  heartbeatMs?: number;
  /** A node silent this long is dead. Default 5000 ms. */
  nodeTimeoutMs?: number;
  logger: Logger;
}

/**
 * The nodes that share one Redis: a pub/sub channel per node and one for all, node liveness, a
 * figure per node in a hash, and work streams (StreamHub). The state backend on Redis rides on
 * it: it publishes its events and kicks on the same node channels.
 */
export class RedisCluster implements Cluster {
  readonly node: string;
  readonly shared = true;
  readonly keys: RedisKeys;
  /** The connection for commands; never block it. */
  readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, (message: ClusterMessage) => void>();
  private readonly deathListeners: ((node: string) => void)[] = [];
  private readonly restoredListeners: (() => void)[] = [];
  private readonly liveness: NodeLiveness;
  private closed = false;

  constructor(private readonly options: RedisClusterOptions) {
    this.node = options.node ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.keys = new RedisKeys(options.prefix ?? 'callgate:');
    this.client = this.connection();
    this.subscriber = this.connection();
    this.liveness = new NodeLiveness({
      client: this.client,
      keys: this.keys,
      node: this.node,
      heartbeatMs: options.heartbeatMs ?? 1000,
      nodeTimeoutMs: options.nodeTimeoutMs ?? 5000,
      onDead: (node) => this.deathListeners.forEach((listener) => listener(node)),
    });
  }

  /** A new connection for commands (not yet connected: call `connect()`); errors surface on its commands. */
  connection(): Redis {
    return this.open({ maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  }

  /** A new connection of its own, connected, for blocking reads; the caller quits it. */
  dedicatedConnection(): Redis {
    return this.open({ maxRetriesPerRequest: null, lazyConnect: false });
  }

  /** Connects, listens on this node's channel and the broadcast channel, and starts beating. */
  async start(): Promise<void> {
    await Promise.all([this.client.connect(), this.subscriber.connect()]);
    this.subscriber.on('message', (_channel: string, text: string) => this.received(text));
    let lost = false;
    this.client.on('close', () => (lost = true));
    this.client.on('ready', () => {
      if (!lost) return;
      lost = false;
      void this.liveness.beat().then(() => this.restoredListeners.forEach((listener) => listener()));
    });
    await this.subscriber.subscribe(this.keys.nodeChannel(this.node), this.keys.broadcastChannel);
    await this.liveness.start();
  }

  /** Called once for each node that stopped beating, on the one node that noticed first. */
  onNodeDead(listener: (node: string) => void): void {
    this.deathListeners.push(listener);
  }

  /** Called when Redis is reachable again after an outage. */
  onRestored(listener: () => void): void {
    this.restoredListeners.push(listener);
  }

  onMessage(type: string, handler: (message: ClusterMessage) => void): void {
    this.handlers.set(type, handler);
  }

  async sendToNode(node: string, message: ClusterMessage): Promise<void> {
    if (node === this.node) this.handlers.get(message.type)?.(message);
    else await this.client.publish(this.keys.nodeChannel(node), JSON.stringify(message));
  }

  async broadcast(message: ClusterMessage): Promise<void> {
    await this.client.publish(this.keys.broadcastChannel, JSON.stringify(message));
  }

  liveNodes(): Promise<Set<string>> {
    return this.liveness.liveNodes();
  }

  async setFigure(name: string, value: number): Promise<void> {
    await this.client.hset(this.keys.figure(name), this.node, value);
  }

  async sumFigure(name: string): Promise<number> {
    const [values, live] = await Promise.all([this.client.hgetall(this.keys.figure(name)), this.liveNodes()]);
    return Object.entries(values).reduce((sum, [node, value]) => sum + (live.has(node) ? Number(value) : 0), 0);
  }

  async clearFigure(name: string): Promise<void> {
    await this.client.hdel(this.keys.figure(name), this.node);
  }

  stream<T>(options: WorkStreamOptions<T>): WorkStream<T> {
    return new StreamHub(this, options, this.options.logger);
  }

  async ready(): Promise<boolean> {
    if (this.closed || this.client.status !== 'ready') return false;
    return this.client.ping().then(
      () => true,
      () => false,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.liveness.stop();
    await Promise.allSettled([this.client, this.subscriber].map((client) => client.quit()));
  }

  private open(options: RedisOptions): Redis {
    const connection = new Redis(this.options.url, options);
    connection.on('error', () => {});
    return connection;
  }

  private received(text: string): void {
    let message: ClusterMessage;
    try {
      message = JSON.parse(text) as ClusterMessage;
    } catch {
      return;
    }
    if (typeof message?.type === 'string') this.handlers.get(message.type)?.(message);
  }
}
