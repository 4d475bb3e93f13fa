import type { EventMessage } from '@callgate/protocol';
import type { CallEvent } from '../calls/types.js';

/**
 * The events of one user session, numbered from 1 without gaps. It keeps the newest `capacity`
 * events so that a client that resumes can be sent exactly what it missed.
 */
export class Outbox {
  private readonly events: EventMessage[] = [];
  private nextSeq = 1;

  constructor(
    readonly sessionId: string,
    private readonly capacity: number,
  ) {}

  append(event: CallEvent): EventMessage {
    const message: EventMessage = { type: 'event', seq: this.nextSeq++, ...event };
    this.events.push(message);
    if (this.events.length > this.capacity) this.events.shift();
    return message;
  }

  /** Events after `seq`, or undefined when some of them were already dropped. */
  after(seq: number): EventMessage[] | undefined {
    if (seq >= this.nextSeq - 1) return [];
    const first = this.events[0];
    if (!first || seq + 1 < first.seq) return undefined;
    return this.events.slice(seq + 1 - first.seq);
  }
}
