import type { BusinessQueueEvent } from '@callgate/protocol';
import type { EntryRecord, QueueTransition } from '../queues/types.js';

/** An entry step before it gets its id. */
export type QueueNotice = Omit<BusinessQueueEvent, 'id'>;

/** A customer's rating of a served queue call, as the ratings store took it. */
export interface TakenRating {
  callId: string;
  customer: string;
  score: number;
  comment: string;
  at: number;
  /** From the call's record. */
  queue: string;
  entryId: string;
  agent: string;
}

function entryPart(entry: EntryRecord, at: number): Pick<QueueNotice, 'entryId' | 'queue' | 'customer' | 'at' | 'enteredAt'> {
  return { entryId: entry.entryId, queue: entry.queue, customer: entry.customer, at, enteredAt: entry.enteredAt };
}

const waited = (entry: EntryRecord, at: number): number => Math.max(0, at - entry.enteredAt);

/**
 * What a business server hears about a step of the contact centre (docs/business.md, "Queue
 * entries"), read off the transition the rules decided; null for steps that are not an entry's
 * (agent statuses) or that the call events already tell (an offer refused or not answered).
 */
export function queueNoticeOf(transition: QueueTransition): QueueNotice | null {
  const { at } = transition;
  switch (transition.type) {
    case 'entered': {
      const { entry } = transition;
      return { step: 'entered', ...entryPart(entry, at), priority: entry.priority, flags: entry.flags, param: entry.param, userStr: entry.userStr };
    }
    case 'offered':
      return { step: 'offered', ...entryPart(transition.entry, at), agent: transition.agent, callId: transition.callId };
    case 'answered':
      return {
        step: 'answered',
        ...entryPart(transition.entry, at),
        agent: transition.agent,
        callId: transition.callId,
        waitedMs: waited(transition.entry, at),
      };
    case 'transferred': {
      const { by, fromQueue, toQueue, toAgent } = transition;
      return {
        step: 'transferred',
        ...entryPart(transition.entry, at),
        ...(toAgent !== undefined ? { agent: toAgent } : {}),
        transfer: { by, fromQueue, toQueue, ...(toAgent !== undefined ? { toAgent } : {}) },
      };
    }
    case 'ended': {
      const { entry } = transition;
      const served = transition.outcome === 'served';
      return {
        step: transition.outcome,
        ...entryPart(entry, at),
        waitedMs: waited(entry, served && entry.answeredAt !== undefined ? entry.answeredAt : at),
        ...(served && entry.agent !== undefined ? { agent: entry.agent } : {}),
        ...(served && entry.callId !== undefined ? { callId: entry.callId } : {}),
      };
    }
    case 'wrapped-up':
      return {
        step: 'wrapped-up',
        entryId: transition.entryId,
        queue: transition.queue,
        customer: transition.customer,
        at,
        agent: transition.agent,
        callId: transition.callId,
        ...(transition.disposition !== undefined ? { disposition: transition.disposition } : {}),
        ...(transition.notes !== undefined ? { notes: transition.notes } : {}),
      };
    case 'offer-ended':
    case 'agent-status':
      return null;
  }
}

/** The `rated` step of a rating. */
export function ratingNoticeOf(rating: TakenRating): QueueNotice {
  return {
    step: 'rated',
    entryId: rating.entryId,
    queue: rating.queue,
    customer: rating.customer,
    at: rating.at,
    agent: rating.agent,
    callId: rating.callId,
    score: rating.score,
    comment: rating.comment,
  };
}
