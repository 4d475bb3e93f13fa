import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { WorkStream, WorkStreamOptions } from '../cluster.js';
import type { RedisCluster } from './redis-cluster.js';

/** How long a hub's claim lasts without renewal, and how often it is renewed. */
const HUB_TTL_MS = 3000;
const HUB_RENEW_MS = 1000;
/** A stream keeps at most about this many entries waiting. */
const STREAM_CAP = 10_000;

const renewScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const releaseScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * One stream of work for the whole cluster, handled in order by one node at a time. Any node
 * appends; the node holding the hub claim reads the stream from its first entry and hands each
 * entry on; an entry stays in the stream until it has been handled, so that when the hub dies
 * or resigns, the next hub takes over from the first unfinished entry (receivers de-duplicate
 * by their ids).
 */
export class StreamHub<T> implements WorkStream<T> {
  private leading = false;
  private reader: Redis | null = null;
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly stream: string;
  private readonly claim: string;

  constructor(
    private readonly cluster: RedisCluster,
    private readonly options: WorkStreamOptions<T>,
    private readonly logger: Logger,
  ) {
    this.stream = `${cluster.keys.prefix}${options.name}-stream`;
    this.claim = `${cluster.keys.prefix}${options.name}-hub`;
    this.timer = setInterval(() => void this.lead(), HUB_RENEW_MS);
    this.timer.unref();
    void this.lead();
  }

  async append(entry: T): Promise<void> {
    await this.cluster.client.xadd(this.stream, 'MAXLEN', '~', STREAM_CAP, '*', 'e', JSON.stringify(entry));
  }

  /** Takes, keeps or gives up the hub, as `canLead` says. */
  async lead(): Promise<void> {
    if (this.closed) return;
    const { client, node } = this.cluster;
    try {
      if (!this.options.canLead()) await this.resign();
      else if (this.leading) {
        if ((await client.eval(renewScript, 1, this.claim, node, HUB_TTL_MS)) !== 1) this.stopReading();
      } else if ((await client.set(this.claim, node, 'PX', HUB_TTL_MS, 'NX')) === 'OK') {
        this.startReading();
      }
    } catch {
      // The store is away: the claim runs out by itself and is taken again when it is back.
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.resign();
  }

  private async resign(): Promise<void> {
    if (!this.leading) return;
    this.stopReading();
    await this.cluster.client.eval(releaseScript, 1, this.claim, this.cluster.node).catch(() => {});
  }

  private startReading(): void {
    this.leading = true;
    const reader = this.cluster.dedicatedConnection();
    this.reader = reader;
    this.logger.info({ node: this.cluster.node, hub: this.options.name }, 'this node leads the stream');
    void this.read(reader);
  }

  private stopReading(): void {
    this.leading = false;
    this.reader?.disconnect();
    this.reader = null;
  }

  private async read(reader: Redis): Promise<void> {
    let lastId = '0';
    while (this.reader === reader) {
      try {
        const batch = await reader.xread('COUNT', 100, 'BLOCK', 1000, 'STREAMS', this.stream, lastId);
        for (const [, entries] of batch ?? []) {
          for (const [id, fields] of entries) {
            lastId = id;
            this.dispatch(id, fields[1] ?? '');
          }
        }
      } catch {
        if (this.reader !== reader) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  private dispatch(id: string, text: string): void {
    const done = (): void => void this.cluster.client.xdel(this.stream, id).catch(() => {});
    let entry: T;
    try {
      entry = JSON.parse(text) as T;
    } catch {
      done();
      return;
    }
    this.options.handle(entry, done);
  }
}
