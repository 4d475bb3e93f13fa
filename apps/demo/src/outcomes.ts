import { ErrorCode, errorMessage } from '@callgate/client';

/** What a customer reads when a call attempt or a call ends, in plain words. */
export function customerOutcome(code: number, agent: string, hungUpByMe: boolean): string {
  switch (code) {
    case ErrorCode.SUCCESS:
      return hungUpByMe ? 'You ended the call. Thank you for calling!' : `${agent} ended the call. Thank you for calling!`;
    case ErrorCode.BUSY:
      return `${agent} is busy with another customer. Please try again in a moment, or choose another agent.`;
    case ErrorCode.OFFLINE:
      return `${agent} is not online right now. Please choose another agent.`;
    case ErrorCode.REJECT:
      return `${agent} could not take your call right now.`;
    case ErrorCode.TIMEOUT:
      return `${agent} did not answer in time. Please try again.`;
    case ErrorCode.CANCEL:
      return 'You cancelled the call.';
    case ErrorCode.DISCONNECT:
      return 'The connection was lost, so the call ended. Please call again.';
    case ErrorCode.INCHAT:
      return 'You are already in a call.';
    case ErrorCode.NOT_CONNECTED:
      return 'You are not connected to the service. Check your network and try again.';
    default:
      return `The call could not go on: ${errorMessage(code)}`;
  }
}

/** What an agent reads when a call ends. */
export function agentOutcome(code: number, customer: string, hungUpByMe: boolean, answered: boolean): string {
  if (!answered) {
    switch (code) {
      case ErrorCode.CANCEL:
        return `${customer} hung up before you answered.`;
      case ErrorCode.TIMEOUT:
        return `You missed a call from ${customer}: it was not answered in time.`;
      case ErrorCode.REJECT:
        return `You declined the call from ${customer}.`;
    }
  }
  switch (code) {
    case ErrorCode.SUCCESS:
      return hungUpByMe ? `You ended the call with ${customer}.` : `${customer} ended the call.`;
    case ErrorCode.DISCONNECT:
      return `The connection to ${customer} was lost, so the call ended.`;
    default:
      return `The call with ${customer} ended: ${errorMessage(code)}`;
  }
}
