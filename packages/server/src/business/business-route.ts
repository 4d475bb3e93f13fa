import type { BusinessLinkEvent } from '@callgate/protocol';
import type { BusinessGateway } from './business-gateway.js';
import type { EventAck } from './link-dispatch.js';

/**
 * How the business hook reaches business servers: on one node, this node's links; in a cluster,
 * the links of whichever node is the business hub.
 */
export interface BusinessRoute {
  /** Business links that can hear events now. */
  readonly linkCount: number;
  /** Of them, the links that send pushes. */
  readonly pushLinkCount: number;
  /** Called whenever `linkCount` or `pushLinkCount` may have changed. */
  onLinksChanged(listener: () => void): void;
  /** Tells a call event or an entry step; `last` marks the final event of its call. */
  notify(event: BusinessLinkEvent, last: boolean): void;
  /** Asks for a decision on a REQUEST or an entry. */
  decide(event: BusinessLinkEvent): Promise<EventAck>;
  /** The decision on `eventId` was made without the links (timeout, webhook): no answer is awaited. */
  decided(eventId: string): void;
  close(): Promise<void>;
}

/** One node: the events go to this node's own links. */
export class LocalBusinessRoute implements BusinessRoute {
  constructor(private readonly gateway: BusinessGateway) {}

  get linkCount(): number {
    return this.gateway.dispatch.linkCount;
  }

  get pushLinkCount(): number {
    return this.gateway.dispatch.pushLinkCount;
  }

  onLinksChanged(listener: () => void): void {
    this.gateway.onLinksChanged(listener);
  }

  notify(event: BusinessLinkEvent, last: boolean): void {
    this.gateway.dispatch.notify(event, last);
  }

  decide(event: BusinessLinkEvent): Promise<EventAck> {
    return this.gateway.dispatch.decide(event);
  }

  decided(eventId: string): void {
    this.gateway.dispatch.decided(eventId);
  }

  async close(): Promise<void> {}
}
