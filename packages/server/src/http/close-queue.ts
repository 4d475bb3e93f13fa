import type { QueueClosedInput } from '../queues/types.js';
import type { StateBackend } from '../state/backend.js';
import type { Switchboard } from '../switchboard.js';

/**
 * Ends the waiting (and offered) customers of a deleted queue as `closed`: one `queue-closed`
 * decision closes a chunk (queues/rules.ts, CLOSE_CHUNK), repeated until the queue's line is
 * empty. Customers already in their call with an agent are served to the end. Returns how many
 * entries it closed.
 */
export async function closeQueueLine(
  switchboard: Pick<Switchboard, 'handle'>,
  backend: Pick<StateBackend, 'line'>,
  queue: string,
): Promise<number> {
  const input: QueueClosedInput = { kind: 'queue-closed', queue };
  let closed = 0;
  while ((await backend.line(queue)).length > 0) {
    const decision = await switchboard.handle(input);
    const ended = decision.queueTransitions.filter((transition) => transition.type === 'ended').length;
    closed += ended;
    if (ended === 0) break; // a line entry without its record: nothing more to close
  }
  return closed;
}
