import type { Logger } from 'pino';
import type { Queue, QueueDefinition } from '@callgate/protocol';
import type { Cluster } from '../state/cluster.js';

/** Where queue definitions are kept: the records database, shared by every node. */
export interface QueueStore {
  listQueues(): Promise<Queue[]>;
  putQueue(queue: Queue, at: number): Promise<void>;
  /** False when there was no such queue. */
  deleteQueue(queueId: string): Promise<boolean>;
}

const CHANGED = 'queues-changed';

/**
 * The queues every node routes by (docs/contact-centre.md, "Queues"): the definitions of the
 * records database, held in memory for decisions to look up at once. A change made on any node
 * goes to the database first, then every node is told to read it again.
 */
export class QueueDirectory {
  private queues = new Map<string, Queue>();
  private readonly listeners: ((before: ReadonlyMap<string, Queue>, after: ReadonlyMap<string, Queue>) => void)[] = [];

  constructor(
    private readonly store: QueueStore,
    private readonly cluster: Cluster,
    private readonly logger: Logger,
  ) {
    cluster.onMessage(CHANGED, () => void this.reload().catch((error: unknown) => logger.warn({ err: error }, 'cannot read the queues again')));
  }

  /** Writes the queues of a `--queues` file (they win over what the database had) and reads them all. */
  async start(fromFile: readonly Queue[] = []): Promise<void> {
    const now = Date.now();
    for (const queue of fromFile) await this.store.putQueue(queue, now);
    await this.reload();
    if (fromFile.length > 0) await this.announce();
  }

  /** The queue with this id; what decisions use. */
  readonly lookup = (queueId: string): Queue | undefined => this.queues.get(queueId);

  list(): Queue[] {
    return [...this.queues.values()].sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
  }

  /** Called after every change of the set, on every node, with the set before and after. */
  onChange(listener: (before: ReadonlyMap<string, Queue>, after: ReadonlyMap<string, Queue>) => void): void {
    this.listeners.push(listener);
  }

  /** Creates or replaces a queue; true when it is new. */
  async put(queueId: string, definition: QueueDefinition): Promise<boolean> {
    const created = !this.queues.has(queueId);
    await this.store.putQueue({ id: queueId, ...definition }, Date.now());
    await this.reload();
    await this.announce();
    return created;
  }

  /** Deletes a queue; false when there was none. Its waiting customers are closed by whoever listens. */
  async remove(queueId: string): Promise<boolean> {
    const removed = await this.store.deleteQueue(queueId);
    if (!removed) return false;
    await this.reload();
    await this.announce();
    return true;
  }

  private async reload(): Promise<void> {
    const before = this.queues;
    this.queues = new Map((await this.store.listQueues()).map((queue) => [queue.id, queue]));
    for (const listener of this.listeners) {
      try {
        listener(before, this.queues);
      } catch (error) {
        this.logger.error({ err: error }, 'a queue directory listener failed');
      }
    }
  }

  private async announce(): Promise<void> {
    await this.cluster.broadcast({ type: CHANGED }).catch((error: unknown) => this.logger.warn({ err: error }, 'other nodes were not told of a queue change'));
  }
}
