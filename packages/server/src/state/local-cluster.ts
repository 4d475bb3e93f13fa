import type { Cluster, ClusterMessage, WorkStream, WorkStreamOptions } from './cluster.js';

/** One node alone: every message is for this node, and streams are handled here, in order. */
export class LocalCluster implements Cluster {
  readonly node = 'local';
  readonly shared = false;
  private readonly handlers = new Map<string, (message: ClusterMessage) => void>();
  private readonly figures = new Map<string, number>();

  onMessage(type: string, handler: (message: ClusterMessage) => void): void {
    this.handlers.set(type, handler);
  }

  async sendToNode(_node: string, message: ClusterMessage): Promise<void> {
    this.handlers.get(message.type)?.(message);
  }

  async broadcast(message: ClusterMessage): Promise<void> {
    this.handlers.get(message.type)?.(message);
  }

  async liveNodes(): Promise<Set<string>> {
    return new Set([this.node]);
  }

  async setFigure(name: string, value: number): Promise<void> {
    this.figures.set(name, value);
  }

  async sumFigure(name: string): Promise<number> {
    return this.figures.get(name) ?? 0;
  }

  async clearFigure(name: string): Promise<void> {
    this.figures.delete(name);
  }

  stream<T>(options: WorkStreamOptions<T>): WorkStream<T> {
    return new LocalStream(options);
  }
}

/** Entries wait here while this node may not lead, and are handed on in order once it may. */
class LocalStream<T> implements WorkStream<T> {
  private readonly waiting: T[] = [];
  private closed = false;

  constructor(private readonly options: WorkStreamOptions<T>) {}

  async append(entry: T): Promise<void> {
    if (this.closed) return;
    this.waiting.push(entry);
    await this.lead();
  }

  async lead(): Promise<void> {
    while (!this.closed && this.waiting.length > 0 && this.options.canLead()) {
      this.options.handle(this.waiting.shift() as T, () => {});
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
