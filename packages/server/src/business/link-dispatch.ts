import type { BusinessAckMessage, BusinessEvent } from '@callgate/protocol';
import type { Logger } from 'pino';

/** Where dispatched events go: one authenticated business link. */
export interface EventReceiver {
  readonly linkId: string;
  sendEvent(event: BusinessEvent): void;
}

/** What a business link answered about an event. */
export type EventAck = Pick<BusinessAckMessage, 'errorCode' | 'error'>;

interface PendingEvent {
  event: BusinessEvent;
  last: boolean;
  receiver: EventReceiver | null;
  answer?: (ack: EventAck) => void;
  /** Called once a link acknowledged the event. */
  done?: () => void;
}

/**
 * Hands every business event to exactly one connected link and keeps it until that link acks it.
 * All events of a call go to the same link, in order; new calls take turns over the links. When a
 * link goes away, its unacknowledged events go, in their order, to the others (or wait for the
 * next link once one has ever connected).
 */
export class LinkDispatch {
  private receivers: EventReceiver[] = [];
  private turn = 0;
  private everLinked = false;
  private readonly owners = new Map<string, EventReceiver>();
  /** Insertion order is event order. */
  private readonly unacked = new Map<string, PendingEvent>();

  constructor(
    private readonly logger: Logger,
    private readonly capacity = 10_000,
  ) {}

  get linkCount(): number {
    return this.receivers.length;
  }

  attach(receiver: EventReceiver): void {
    this.receivers.push(receiver);
    this.everLinked = true;
    for (const pending of this.unacked.values()) if (pending.receiver === null) this.dispatch(pending);
  }

  detach(receiver: EventReceiver): void {
    const index = this.receivers.indexOf(receiver);
    if (index < 0) return;
    this.receivers.splice(index, 1);
    for (const [callId, owner] of this.owners) if (owner === receiver) this.owners.delete(callId);
    const orphans = [...this.unacked.values()].filter((pending) => pending.receiver === receiver);
    if (orphans.length) this.logger.info({ linkId: receiver.linkId, events: orphans.length }, 'business link lost; handing its events on');
    for (const pending of orphans) {
      pending.receiver = null;
      this.dispatch(pending);
    }
  }

  /** Sends a notification. `last` marks the final event of its call; `done` runs once a link acked it. */
  notify(event: BusinessEvent, last: boolean, done?: () => void): void {
    this.add({ event, last, receiver: null, ...(done ? { done } : {}) });
  }

  /** Sends a REQUEST that waits for a decision; resolves with the link's answer. */
  decide(event: BusinessEvent): Promise<EventAck> {
    return new Promise((answer) => this.add({ event: { ...event, decide: true }, last: false, receiver: null, answer }));
  }

  /** The decision on `eventId` was made without the links: send it again, if needed, as a notification. */
  decided(eventId: string): void {
    const pending = this.unacked.get(eventId);
    if (!pending) return;
    pending.event = { ...pending.event, decide: false };
    delete pending.answer;
  }

  /** A link handled `eventId` (any link may ack: the event may have been handed on meanwhile). */
  ack(eventId: string, ack: EventAck): void {
    const pending = this.unacked.get(eventId);
    if (!pending) return;
    this.unacked.delete(eventId);
    pending.answer?.(ack);
    pending.done?.();
  }

  private add(pending: PendingEvent): void {
    if (this.receivers.length === 0 && !this.everLinked) {
      pending.answer?.({ error: 'no business link' });
      return;
    }
    this.unacked.set(pending.event.id, pending);
    if (this.unacked.size > this.capacity) {
      const [oldestId, oldest] = this.unacked.entries().next().value as [string, PendingEvent];
      this.unacked.delete(oldestId);
      oldest.answer?.({ error: 'dropped: too many unacknowledged business events' });
      this.logger.warn({ eventId: oldestId, callId: oldest.event.callId }, 'too many unacknowledged business events; dropped the oldest');
    }
    this.dispatch(pending);
  }

  private dispatch(pending: PendingEvent): void {
    const { callId } = pending.event;
    let receiver = this.owners.get(callId);
    if (!receiver) {
      receiver = this.receivers[this.turn++ % Math.max(1, this.receivers.length)];
      if (!receiver) return;
      this.owners.set(callId, receiver);
    }
    if (pending.last) this.owners.delete(callId);
    pending.receiver = receiver;
    receiver.sendEvent(pending.event);
  }
}
