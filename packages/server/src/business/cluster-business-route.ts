import type { Logger } from 'pino';
import { asksDecision, type BusinessLinkEvent } from '@callgate/protocol';
import type { Cluster, ClusterMessage, WorkStream } from '../state/cluster.js';
import type { BusinessGateway } from './business-gateway.js';
import type { BusinessRoute } from './business-route.js';
import type { EventAck } from './link-dispatch.js';

/** The cluster figure: business links per node. */
const LINKS_FIGURE = 'business-links';
/** The cluster figure: business links that send pushes, per node. */
const PUSH_LINKS_FIGURE = 'business-push-links';

interface BusinessEntry {
  event: BusinessLinkEvent;
  last: boolean;
  /** The node that waits for a REQUEST's decision. */
  origin: string;
}

/**
 * Business events in a cluster: every node appends the events of the calls it decides to one
 * stream, and the node leading it — one that holds business links — hands them, in order, to its
 * links (all events of a call to one link). A REQUEST's decision goes back to the node that
 * asked. So a business server may connect to any node and hears every event of the cluster once;
 * when the leading node loses its links or dies, a node with links takes over.
 */
export class ClusterBusinessRoute implements BusinessRoute {
  private total = 0;
  private pushTotal = 0;
  private readonly listeners: (() => void)[] = [];
  private readonly waiting = new Map<string, (ack: EventAck) => void>();
  private readonly hub: WorkStream<BusinessEntry>;
  private readonly recount: NodeJS.Timeout;

  constructor(
    private readonly gateway: BusinessGateway,
    private readonly cluster: Cluster,
    private readonly logger: Logger,
  ) {
    this.hub = cluster.stream<BusinessEntry>({
      name: 'business',
      canLead: () => gateway.dispatch.linkCount > 0,
      handle: (entry, done) => this.handle(entry, done),
    });
    gateway.onLinksChanged(() => void this.linksChanged());
    cluster.onMessage('business-links', () => void this.countLinks());
    cluster.onMessage('business-answer', (message) => this.answered(message));
    this.recount = setInterval(() => void this.countLinks(), 1000);
    this.recount.unref();
    void this.countLinks();
  }

  /** Business links on the live nodes of the cluster. */
  get linkCount(): number {
    return this.total;
  }

  get pushLinkCount(): number {
    return this.pushTotal;
  }

  onLinksChanged(listener: () => void): void {
    this.listeners.push(listener);
  }

  notify(event: BusinessLinkEvent, last: boolean): void {
    this.hub.append({ event, last, origin: this.cluster.node }).catch((error: unknown) =>
      this.logger.warn({ err: error, eventId: event.id }, 'business event not queued: state store unavailable'),
    );
  }

  decide(event: BusinessLinkEvent): Promise<EventAck> {
    return new Promise((resolve) => {
      this.waiting.set(event.id, resolve);
      const asked = event.type === 'event' ? { ...event, decide: true } : event;
      this.hub.append({ event: asked, last: false, origin: this.cluster.node }).catch(() => {
        this.waiting.delete(event.id);
        resolve({ error: 'state store unavailable' });
      });
    });
  }

  decided(eventId: string): void {
    this.waiting.delete(eventId);
  }

  async close(): Promise<void> {
    clearInterval(this.recount);
    await this.hub.close();
    await this.cluster.clearFigure(LINKS_FIGURE).catch(() => {});
    await this.cluster.clearFigure(PUSH_LINKS_FIGURE).catch(() => {});
    await this.cluster.broadcast({ type: 'business-links' }).catch(() => {});
  }

  private handle(entry: BusinessEntry, done: () => void): void {
    if (!asksDecision(entry.event)) {
      this.gateway.dispatch.notify(entry.event, entry.last, done);
      return;
    }
    void this.gateway.dispatch.decide(entry.event).then(async (ack) => {
      await this.cluster.sendToNode(entry.origin, { type: 'business-answer', eventId: entry.event.id, ack }).catch(() => {});
      done();
    });
  }

  private answered(message: ClusterMessage): void {
    const eventId = String(message.eventId);
    const resolve = this.waiting.get(eventId);
    if (!resolve) return;
    this.waiting.delete(eventId);
    resolve(message.ack as EventAck);
  }

  private async linksChanged(): Promise<void> {
    // Pushes first: a node that sees the new link count sees its push links too.
    await this.cluster.setFigure(PUSH_LINKS_FIGURE, this.gateway.dispatch.pushLinkCount).catch(() => {});
    await this.cluster.setFigure(LINKS_FIGURE, this.gateway.dispatch.linkCount).catch(() => {});
    await this.cluster.broadcast({ type: 'business-links' }).catch(() => {});
    await Promise.all([this.countLinks(), this.hub.lead()]);
  }

  private async countLinks(): Promise<void> {
    try {
      const [total, pushTotal] = await Promise.all([this.cluster.sumFigure(LINKS_FIGURE), this.cluster.sumFigure(PUSH_LINKS_FIGURE)]);
      if (total === this.total && pushTotal === this.pushTotal) return;
      this.total = total;
      this.pushTotal = pushTotal;
      this.listeners.forEach((listener) => listener());
    } catch {
      // Keep the last count while the store is away.
    }
  }
}
