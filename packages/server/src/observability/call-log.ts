import type { Logger } from 'pino';
import type { CallTransition } from '../calls/types.js';

/** One JSON line per call transition, for operators: who, which call, which step, how it ended. */
export function logTransition(logger: Logger, transition: CallTransition): void {
  if (!logger.isLevelEnabled('info')) return;
  const { call } = transition;
  const base = { callId: call.callId, caller: call.caller, callee: call.callee, transition: transition.type };
  switch (transition.type) {
    case 'requested':
      logger.info({ ...base, phase: call.phase, flags: call.flags }, 'call requested');
      return;
    case 'ringing':
      logger.info({ ...base, phase: 'ringing' }, 'call ringing');
      return;
    case 'started':
      logger.info({ ...base, phase: 'talking', roomId: call.roomId }, 'call started');
      return;
    case 'ended':
      logger.info(
        {
          ...base,
          outcome: transition.outcome,
          errorCode: transition.step.errorCode,
          endedBy: transition.endedBy,
          from: transition.endedIn,
          ...(call.startedAt ? { durationMs: (transition.talkEndedAt ?? transition.at) - call.startedAt } : {}),
        },
        `call ended: ${transition.outcome}`,
      );
      return;
  }
}
