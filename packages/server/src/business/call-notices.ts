import { type BusinessEvent, type UserState } from '@callgate/protocol';
import type { CallRecord, CallTransition, UserRecord } from '../calls/types.js';

/** A business event before it gets its id and its receiver's `decide` flag. */
export type CallNotice = Omit<BusinessEvent, 'id' | 'decide'>;

/**
 * What a business server hears about a call transition: the step the machine decided (the event
 * the caller, or for FINISH both parties, got), named from the side that caused it. See docs/business.md.
 */
export function noticeOf(transition: CallTransition): CallNotice {
  const { step } = transition;
  return {
    callId: transition.call.callId,
    event: step.event,
    srcUserId: step.from,
    tarUserId: step.to,
    errorCode: step.errorCode,
    flags: step.flags,
    param: step.param,
    userStr: step.userStr,
    at: transition.at,
  };
}

/** A user's state for `getUserState`: users in their grace period are online. */
export function userStateOf(userId: string, user: UserRecord | undefined, call: CallRecord | undefined): UserState {
  if (!user) return { userId, state: 'offline' };
  if (!call) return { userId, state: 'idle' };
  const isCaller = call.caller === userId;
  const peer = isCaller ? call.callee : call.caller;
  if (call.phase === 'talking') return { userId, state: 'talking', peer, callId: call.callId, roomId: call.roomId };
  return { userId, state: isCaller ? 'calling' : 'ringing', peer, callId: call.callId };
}
