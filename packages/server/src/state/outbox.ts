import type { SequencedMessage } from '@callgate/protocol';
import type { Delivery, UserRecord } from '../calls/types.js';

/**
 * The numbered messages of one user session (call events, its entry's states, its agent status),
 * from 1 without gaps. It keeps the newest `capacity` so that a client that resumes can be sent
 * exactly what it missed.
 */
export class Outbox {
  private readonly events: SequencedMessage[] = [];
  private nextSeq = 1;

  constructor(
    readonly sessionId: string,
    private readonly capacity: number,
  ) {}

  append(delivery: Delivery): SequencedMessage {
    const message = sequenced(delivery, this.nextSeq++);
    this.events.push(message);
    if (this.events.length > this.capacity) this.events.shift();
    return message;
  }

  /** Every message it still holds. */
  kept(): SequencedMessage[] {
    return [...this.events];
  }

  /** Events after `seq`, or undefined when some of them were already dropped. */
  after(seq: number): SequencedMessage[] | undefined {
    if (seq >= this.nextSeq - 1) return [];
    const first = this.events[0];
    if (!first || seq + 1 < first.seq) return undefined;
    return this.events.slice(seq + 1 - first.seq);
  }
}

/** The numbered message a delivery becomes in its user's outbox. */
export function sequenced(delivery: Delivery, seq: number): SequencedMessage {
  if ('event' in delivery) return { type: 'event', seq, ...delivery.event };
  if ('entry' in delivery) return { type: 'entry', seq, entry: delivery.entry };
  if ('agent' in delivery) return { type: 'agent', seq, ...delivery.agent };
  if ('elsewhere' in delivery) return { type: 'elsewhere', seq, ...delivery.elsewhere };
  return { type: 'waking', seq, ...delivery.waking };
}

/** Where a device's outbox is kept (both backends key outboxes by user and device). */
export const outboxKey = (userId: string, deviceId: string): string => `${userId}\u0000${deviceId}`;

/** The devices of `user` a delivery goes to: the one it names, all but the one it excepts, or all. */
export function targetDevices(delivery: Delivery, user: UserRecord | undefined): string[] {
  if (!user) return [];
  if (delivery.device !== undefined) return user.devices.some((d) => d.deviceId === delivery.device) ? [delivery.device] : [];
  return user.devices.map((d) => d.deviceId).filter((id) => id !== delivery.except);
}
