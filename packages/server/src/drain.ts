import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ErrorCode } from '@callgate/protocol';
import type { StateBackend } from './state/backend.js';
import type { Switchboard } from './switchboard.js';

export interface DrainOptions {
  switchboard: Switchboard;
  backend: StateBackend;
  logger: Logger;
  /** How long live calls may go on; then they are ended with FINISH SHUTTING_DOWN. */
  timeoutMs: number;
}

/**
 * The customers still waiting in a queue when a server that keeps its state in its own process
 * shuts down: their entries end as `closed`, a chunk at a time. Resolves with how many ended.
 */
export async function closeQueues(options: Pick<DrainOptions, 'switchboard' | 'backend' | 'logger'>): Promise<number> {
  const { switchboard, backend, logger } = options;
  const queues = new Set((await backend.liveEntries()).filter((entry) => entry.state !== 'connected').map((entry) => entry.queue));
  let closed = 0;
  for (const queue of queues) {
    for (;;) {
      const decision = await switchboard.handle({ kind: 'queue-closed', queue });
      const ended = decision.queueTransitions.filter((t) => t.type === 'ended').length;
      closed += ended;
      if (ended === 0) break;
    }
  }
  if (closed > 0) logger.warn({ closed }, `shutting down: ${closed} waiting customer(s) left their queues (closed)`);
  return closed;
}

/**
 * Shutdown of a server that keeps its state in its own process (a cluster node hands its users
 * over instead), step two (the switchboard already refuses new REQUESTs): waits up to `timeoutMs`
 * for live calls to end by themselves, then ends the rest as the server, with FINISH
 * SHUTTING_DOWN (200011) to both parties. Resolves with the number of calls it ended.
 */
export async function drainCalls(options: DrainOptions): Promise<number> {
  const { switchboard, backend, logger } = options;
  let live = await backend.liveCalls();
  if (live.length > 0 && options.timeoutMs > 0) {
    logger.info({ liveCalls: live.length, drainTimeoutMs: options.timeoutMs }, 'draining: waiting for live calls to end');
    const deadline = Date.now() + options.timeoutMs;
    let wake: () => void = () => {};
    switchboard.onTransition((transition) => {
      if (transition.type === 'ended') wake();
    });
    while (live.length > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(1000, deadline - Date.now()));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = () => {};
      live = await backend.liveCalls();
    }
  }
  let ended = 0;
  for (const call of live) {
    for (const userId of [call.caller, call.callee]) {
      if ((await switchboard.forceFinish({ userId, errorCode: ErrorCode.SHUTTING_DOWN, userStr: '', by: 'server' })) === 0) {
        ended += 1;
        break;
      }
    }
  }
  if (ended > 0) {
    logger.warn({ ended }, `drain timeout: ended ${ended} live call(s) with FINISH SHUTTING_DOWN (200011)`);
    // Let the FINISH events reach the sockets before they close.
    await nextTurn();
  }
  return ended;
}
