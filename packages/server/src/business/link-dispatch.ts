import { orderKeyOf, type BusinessAckMessage, type BusinessLinkEvent } from '@callgate/protocol';
import type { Logger } from 'pino';

/** Where dispatched events go: one authenticated business link. */
export interface EventReceiver {
  readonly linkId: string;
  /** Whether this link sends pushes: only such links get `push` events. */
  readonly push: boolean;
  sendEvent(event: BusinessLinkEvent): void;
}

/** What a business link answered about an event. */
export type EventAck = Pick<BusinessAckMessage, 'errorCode' | 'error' | 'priority'>;

interface PendingEvent {
  event: BusinessLinkEvent;
  /** The order key (orderKeyOf): events of one key go to one link, in order. */
  key: string;
  last: boolean;
  receiver: EventReceiver | null;
  answer?: (ack: EventAck) => void;
  /** Called once a link acknowledged the event. */
  done?: () => void;
}

/**
 * Hands every business event to exactly one connected link and keeps it until that link acks it.
 * All events of a call go to the same link, in order; new calls take turns over the links. The
 * steps of a queue entry keep to the link that holds the entry's unacknowledged steps, and once
 * it acked them all the next one may take its turn elsewhere (an entry has no final step: after
 * `served` come `wrapped-up` and `rated`, or not). When a link goes away, its unacknowledged
 * events go, in their order, to the others (or wait for the next link once one has ever connected).
 */
export class LinkDispatch {
  private receivers: EventReceiver[] = [];
  private turn = 0;
  private everLinked = false;
  /** Per order key, the link its events go to. */
  private readonly owners = new Map<string, EventReceiver>();
  /** Per queue entry's key, its steps not acknowledged yet. */
  private readonly entrySteps = new Map<string, number>();
  /** Insertion order is event order. */
  private readonly unacked = new Map<string, PendingEvent>();

  constructor(
    private readonly logger: Logger,
    private readonly capacity = 10_000,
  ) {}

  get linkCount(): number {
    return this.receivers.length;
  }

  /** Links that send pushes. */
  get pushLinkCount(): number {
    return this.receivers.filter((receiver) => receiver.push).length;
  }

  /** A link turned its push hook on: pushes that waited for one go to it. */
  pushChanged(): void {
    for (const pending of this.unacked.values()) if (pending.receiver === null) this.dispatch(pending);
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
    for (const [key, owner] of this.owners) if (owner === receiver) this.owners.delete(key);
    const orphans = [...this.unacked.values()].filter((pending) => pending.receiver === receiver);
    if (orphans.length) this.logger.info({ linkId: receiver.linkId, events: orphans.length }, 'business link lost; handing its events on');
    for (const pending of orphans) {
      pending.receiver = null;
      this.dispatch(pending);
    }
  }

  /** Sends a notification. `last` marks the final event of its call; `done` runs once a link acked it. */
  notify(event: BusinessLinkEvent, last: boolean, done?: () => void): void {
    this.add({ event, key: orderKeyOf(event), last, receiver: null, ...(done ? { done } : {}) });
  }

  /** Sends a REQUEST (or an entry decision) that waits for a decision; resolves with the link's answer. */
  decide(event: BusinessLinkEvent): Promise<EventAck> {
    const asked = event.type === 'event' ? { ...event, decide: true } : event;
    return new Promise((answer) => this.add({ event: asked, key: orderKeyOf(asked), last: asked.type === 'queue-entry', receiver: null, answer }));
  }

  /**
   * The decision on `eventId` was made without the links: a REQUEST is sent again, if needed, as
   * a notification; an entry decision is dropped (the entry's own steps follow).
   */
  decided(eventId: string): void {
    const pending = this.unacked.get(eventId);
    if (!pending) return;
    delete pending.answer;
    if (pending.event.type === 'event') pending.event = { ...pending.event, decide: false };
    else if (pending.event.type === 'queue-entry') this.unacked.delete(eventId);
  }

  /** A link handled `eventId` (any link may ack: the event may have been handed on meanwhile). */
  ack(eventId: string, ack: EventAck): void {
    const pending = this.unacked.get(eventId);
    if (!pending) return;
    this.unacked.delete(eventId);
    this.stepDone(pending);
    pending.answer?.(ack);
    pending.done?.();
  }

  /** A queue entry's step is acknowledged (or dropped): with none of its steps left, the entry may go to any link. */
  private stepDone(pending: PendingEvent): void {
    if (pending.event.type !== 'queue-event') return;
    const left = (this.entrySteps.get(pending.key) ?? 1) - 1;
    if (left > 0) {
      this.entrySteps.set(pending.key, left);
      return;
    }
    this.entrySteps.delete(pending.key);
    this.owners.delete(pending.key);
  }

  private add(pending: PendingEvent): void {
    if (this.receivers.length === 0 && !this.everLinked) {
      pending.answer?.({ error: 'no business link' });
      return;
    }
    this.unacked.set(pending.event.id, pending);
    if (pending.event.type === 'queue-event') this.entrySteps.set(pending.key, (this.entrySteps.get(pending.key) ?? 0) + 1);
    if (this.unacked.size > this.capacity) {
      const [oldestId, oldest] = this.unacked.entries().next().value as [string, PendingEvent];
      this.unacked.delete(oldestId);
      this.stepDone(oldest);
      oldest.answer?.({ error: 'dropped: too many unacknowledged business events' });
      this.logger.warn({ eventId: oldestId, key: oldest.key }, 'too many unacknowledged business events; dropped the oldest');
    }
    this.dispatch(pending);
  }

  private dispatch(pending: PendingEvent): void {
    const { key } = pending;
    let receiver = this.owners.get(key);
    if (!receiver) {
      const candidates = pending.event.type === 'push' ? this.receivers.filter((r) => r.push) : this.receivers;
      receiver = candidates[this.turn++ % Math.max(1, candidates.length)];
      if (!receiver) return;
      this.owners.set(key, receiver);
    }
    if (pending.last) this.owners.delete(key);
    pending.receiver = receiver;
    receiver.sendEvent(pending.event);
  }
}
