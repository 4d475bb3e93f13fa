import type { Call, CallClient } from '@callgate/client';
import { EventQueue } from './event-queue.js';
import type { TestUser } from './test-user.js';

/** The incoming calls a user gets, in order. */
export function incomingCalls(user: TestUser | CallClient): EventQueue<Call> {
  const calls = new EventQueue<Call>();
  const client = 'client' in user ? user.client : user;
  client.on('incoming', (call) => calls.push(call));
  return calls;
}

/** What happens to a call: "ringing", "started:<roomId>", "ended:<code>". */
export function stepsOf(call: Call): EventQueue<string> {
  const steps = new EventQueue<string>();
  call.on('ringing', () => steps.push('ringing'));
  call.on('started', (roomId) => steps.push(`started:${roomId}`));
  call.on('ended', (code) => steps.push(`ended:${code}`));
  return steps;
}

/** Waits for the step that starts with `prefix`, skipping the ones before it. */
export async function until(steps: EventQueue<string>, prefix: string, timeoutMs = 5000): Promise<string> {
  for (;;) {
    const step = await steps.next(prefix, timeoutMs);
    if (step.startsWith(prefix)) return step;
  }
}
