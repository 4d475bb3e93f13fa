import { ErrorCode, errorMessage, type EntryOutcome, type QueueEntry } from '@callgate/client';
import { displayName } from '../dom.js';
import { aboutWait, length, ordinal } from '../format.js';

/** The customer's page in plain words: where they stand, who moved them, how it ended. */

/** "You are 3rd in line" / "You are next". */
export function placeInLine(position: number): string {
  return position === 1 ? 'You are next in line' : `You are ${ordinal(position)} in line`;
}

/** The estimate, or what to expect when nobody is there. */
export function estimate(entry: QueueEntry): string {
  if (entry.estimatedWaitMs === undefined) return 'Working out your wait…';
  if (entry.estimatedWaitMs === 0 && (entry.agentsAvailable ?? 0) > 0) return 'An agent is free: connecting you shortly';
  return `Estimated wait: ${aboutWait(entry.estimatedWaitMs)}`;
}

/** "Anna is transferring you to Technical support — you are 1st in line". */
export function transferWords(entry: QueueEntry, queueName: (id: string) => string): string | null {
  const transfer = entry.transfer;
  if (!transfer || transfer.toQueue !== entry.queue) return null;
  const by = displayName(transfer.by);
  const to = transfer.toAgent ? displayName(transfer.toAgent) : queueName(transfer.toQueue);
  const place = entry.position !== undefined ? ` — ${placeInLine(entry.position).replace('You', 'you')}` : '';
  return `${by} is transferring you to ${to}${place}`;
}

/** What the customer reads once the entry is over. */
export function endedWords(outcome: EntryOutcome, entry: QueueEntry, leftByMe: boolean, queueName: string): string {
  switch (outcome) {
    case 'served':
      return 'Thank you for calling!';
    case 'abandoned':
      return leftByMe ? 'You left the line. You can start again whenever you like.' : 'The connection was lost for too long, so you lost your place in line. Please start again.';
    case 'timeout':
      return `Sorry: nobody could take your call in time (you waited ${length(entry.waitedMs)}). Please try again later.`;
    case 'closed':
      return `${queueName} is closed right now, so your place in line ended. Please try again later or choose another topic.`;
  }
}

/** Why the customer could not get in line (enterQueue refused). */
export function enterRefusedWords(code: number, queueName: string): string {
  switch (code) {
    case ErrorCode.QUEUE_FULL:
      return `Too many people are waiting for ${queueName} right now. Please try again in a few minutes.`;
    case ErrorCode.QUEUE_NOT_FOUND:
      return `${queueName} is not open any more. Please choose another topic.`;
    case ErrorCode.ALREADY_QUEUED:
      return 'You are already in line in another tab.';
    case ErrorCode.INCHAT:
      return 'You are already in a call.';
    case ErrorCode.NOT_CONNECTED:
      return 'You are not connected to the service. Check your network and try again.';
    default:
      return `We could not put you in line: ${errorMessage(code)}`;
  }
}

/** Why a call with the agent ended, when the entry goes on (a transfer) or for the record. */
export function callEndedWords(code: number, agent: string): string {
  switch (code) {
    case ErrorCode.SUCCESS:
      return `${agent} ended the call.`;
    case ErrorCode.DISCONNECT:
      return 'The connection was lost, so the call ended.';
    default:
      return `The call ended: ${errorMessage(code)}`;
  }
}
