import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ErrorCode } from '@callgate/protocol';
import type { CallRecord } from './calls/types.js';
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
 * The calls this server must see ended before it stops: those with a party whose session this
 * node holds. With state in this process that is every live call; in a cluster, the calls of
 * other nodes' users go on.
 */
async function callsToDrain(backend: StateBackend): Promise<CallRecord[]> {
  const calls = await backend.liveCalls();
  const held = await Promise.all(
    calls.map(async (call) => {
      const parties = await Promise.all([backend.inspect(call.caller), backend.inspect(call.callee)]);
      return parties.some(({ user }) => user?.node === backend.node);
    }),
  );
  return calls.filter((_call, i) => held[i]);
}

/**
 * Shutdown, step two (the switchboard already refuses new REQUESTs): waits up to `timeoutMs`
 * for live calls to end by themselves, then ends the rest as the server, with FINISH
 * SHUTTING_DOWN (200011) to both parties. Resolves with the number of calls it ended.
 */
export async function drainCalls(options: DrainOptions): Promise<number> {
  const { switchboard, backend, logger } = options;
  let live = await callsToDrain(backend);
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
      live = await callsToDrain(backend);
    }
  }
  let ended = 0;
  for (const call of live) {
    for (const userId of [call.caller, call.callee]) {
      const decision = await switchboard.handle({
        kind: 'force-finish',
        userId,
        errorCode: ErrorCode.SHUTTING_DOWN,
        userStr: '',
        by: 'server',
      });
      if (decision.result.ok) {
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
