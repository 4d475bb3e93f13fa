import { orderKeyOf, type BusinessAckMessage, type BusinessLinkEvent } from '@callgate/protocol';

/** What an ack says about a handled event. */
export type Answer = Pick<BusinessAckMessage, 'errorCode' | 'error' | 'priority'>;

/**
 * Remembers the answer to each event this process handled, so that an event delivered again
 * (its ack was lost with the connection) is answered without running the callback twice. Runs
 * the events of one call (or the steps of one queue entry) one after another, in the order they
 * came; different calls and entries in parallel.
 */
export class EventLedger {
  private readonly answers = new Map<string, Promise<Answer>>();
  /** Per call or entry (orderKeyOf), the end of its last event's handling, which the next one waits for. */
  private readonly calls = new Map<string, Promise<void>>();

  constructor(private readonly capacity = 10_000) {}

  /** The answer to `event`: the remembered one, or what `handle` gives once the call's earlier events are done. */
  answer(event: BusinessLinkEvent, handle: () => Promise<Answer>): Promise<Answer> {
    const known = this.answers.get(event.id);
    if (known) return known;
    const key = orderKeyOf(event);
    const previous = this.calls.get(key) ?? Promise.resolve();
    const answer = previous.then(handle);
    const done = answer.then(
      () => {},
      () => {},
    );
    this.calls.set(key, done);
    void done.then(() => {
      if (this.calls.get(key) === done) this.calls.delete(key);
    });
    this.answers.set(event.id, answer);
    if (this.answers.size > this.capacity) {
      const oldest = this.answers.keys().next().value;
      if (oldest !== undefined) this.answers.delete(oldest);
    }
    return answer;
  }
}
