import { ErrorCode, VideoCallEvent, type BusinessEvent, type UserState } from '@callgate/protocol';
import type { CallRecord, CallTransition, UserRecord } from '../calls/types.js';

/** A business event before it gets its id and its receiver's `decide` flag. */
export type CallNotice = Omit<BusinessEvent, 'id' | 'decide'>;

type Payload = Pick<CallNotice, 'flags' | 'param' | 'userStr'>;

const noPayload: Payload = { flags: 0, param: 0, userStr: '' };

/** What the caller got with a refusal the server made: the request's flags and param. */
const echoOf = (call: CallRecord): Payload => ({ flags: call.flags, param: call.param, userStr: '' });

function notice(
  transition: CallTransition,
  event: BusinessEvent['event'],
  src: string,
  tar: string,
  errorCode: number,
  payload: Payload,
): CallNotice {
  return { callId: transition.call.callId, event, srcUserId: src, tarUserId: tar, errorCode, ...payload, at: transition.at };
}

/**
 * What a business server hears about a call transition: the event the caller (or, for FINISH,
 * both parties) got, named from the side that caused it. See docs/business.md.
 */
export function noticeOf(transition: CallTransition): CallNotice {
  const { call } = transition;
  switch (transition.type) {
    case 'requested':
      return notice(transition, VideoCallEvent.REQUEST, call.caller, call.callee, 0, {
        flags: call.flags,
        param: call.param,
        userStr: call.userStr,
      });
    case 'ringing':
      return notice(transition, VideoCallEvent.REPLY, call.callee, call.caller, 0, echoOf(call));
    case 'started':
      return notice(transition, VideoCallEvent.START, call.caller, call.callee, 0, {
        flags: call.flags,
        param: call.roomId,
        userStr: transition.acceptedWith.userStr,
      });
    case 'ended':
      return endingOf(transition);
  }
}

function endingOf(ended: Extract<CallTransition, { type: 'ended' }>): CallNotice {
  const { call, errorCode } = ended;
  const { REPLY, FINISH } = VideoCallEvent;
  const other = (userId: string): string => (userId === call.caller ? call.callee : call.caller);
  switch (ended.outcome) {
    case 'refused':
      // A callee's FINISH 0 while ringing refuses too, but a REPLY 0 would read as "ringing".
      return notice(ended, errorCode === 0 ? FINISH : REPLY, call.callee, call.caller, errorCode, ended.detail);
    case 'busy':
    case 'offline':
    case 'caller-busy':
    case 'forbidden':
    case 'invalid':
    case 'shutting-down':
    case 'vetoed':
    case 'timeout':
      return notice(ended, REPLY, call.callee, call.caller, errorCode, echoOf(call));
    case 'disconnected':
      if (ended.from === 'talking') return notice(ended, FINISH, ended.endedBy, other(ended.endedBy), errorCode, noPayload);
      if (ended.endedBy === call.callee) return notice(ended, REPLY, call.callee, call.caller, errorCode, echoOf(call));
      return notice(ended, FINISH, call.caller, call.callee, errorCode, noPayload);
    case 'cancelled':
      return notice(ended, FINISH, call.caller, call.callee, ErrorCode.CANCEL, ended.detail);
    case 'completed':
      return notice(ended, FINISH, ended.endedBy, other(ended.endedBy), errorCode, ended.detail);
    case 'force-ended':
      return notice(ended, FINISH, call.caller, call.callee, errorCode, ended.detail);
  }
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
