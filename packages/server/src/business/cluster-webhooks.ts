import type { Logger } from 'pino';
import type { BusinessLinkEvent } from '@callgate/protocol';
import type { Cluster, WorkStream } from '../state/cluster.js';
import type { WebhookDecision, Webhooks, WebhookSender } from './webhook-sender.js';

/**
 * Webhooks in a cluster: notifications go through one stream that a single node posts from, so
 * that the events of a call (and the steps of an entry) reach the receiver in order even when different nodes decided them.
 * A veto REQUEST is asked by the node that decides it, directly.
 */
export class ClusterWebhooks implements Webhooks {
  private readonly hub: WorkStream<BusinessLinkEvent>;

  constructor(
    private readonly sender: WebhookSender,
    cluster: Cluster,
    private readonly logger: Logger,
  ) {
    this.hub = cluster.stream<BusinessLinkEvent>({ name: 'webhooks', canLead: () => true, handle: (event, done) => sender.notify(event, done) });
  }

  get veto(): boolean {
    return this.sender.veto;
  }

  get push(): boolean {
    return this.sender.push;
  }

  notify(event: BusinessLinkEvent): void {
    this.hub.append(event).catch((error: unknown) =>
      this.logger.warn({ err: error, eventId: event.id }, 'webhook event not queued: state store unavailable'),
    );
  }

  decide(event: BusinessLinkEvent, timeoutMs: number): Promise<WebhookDecision> {
    return this.sender.decide(event, timeoutMs);
  }

  close(): void {
    void this.hub.close();
    this.sender.close();
  }
}
