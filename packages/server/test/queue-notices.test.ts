/** What a business server hears about each contact-centre step: queueNoticeOf alone, over hand-made transitions. */
import { describe, expect, it } from 'vitest';
import { queueNoticeOf, ratingNoticeOf } from '../src/business/queue-notices.js';
import type { EntryRecord } from '../src/queues/types.js';

const entry: EntryRecord = {
  entryId: 'e1',
  queue: 'billing',
  customer: 'cust',
  device: 'default',
  priority: 7,
  enteredAt: 1_000,
  queuedAt: 1_000,
  state: 'waiting',
  flags: 3,
  param: 9,
  userStr: 'order',
  tried: [],
  offers: [],
  transfers: [],
  version: 1,
};

describe('queueNoticeOf', () => {
  it('names each entry step with what the business server needs of it', () => {
    expect(queueNoticeOf({ type: 'entered', entry, at: 1_000 })).toEqual({
      step: 'entered', entryId: 'e1', queue: 'billing', customer: 'cust', at: 1_000, enteredAt: 1_000, priority: 7, flags: 3, param: 9, userStr: 'order',
    });
    expect(queueNoticeOf({ type: 'answered', entry, at: 4_000, agent: 'anna', callId: 'c1' })).toMatchObject({ step: 'answered', agent: 'anna', callId: 'c1', waitedMs: 3_000 });
    const connected = { ...entry, state: 'connected' as const, agent: 'anna', callId: 'c1', answeredAt: 4_000 };
    expect(queueNoticeOf({ type: 'ended', entry: connected, at: 60_000, outcome: 'served' })).toMatchObject({ step: 'served', agent: 'anna', callId: 'c1', waitedMs: 3_000 });
    for (const outcome of ['abandoned', 'timeout', 'closed'] as const) {
      const notice = queueNoticeOf({ type: 'ended', entry, at: 5_000, outcome });
      expect(notice).toMatchObject({ step: outcome, waitedMs: 4_000 });
      expect(notice).not.toHaveProperty('agent');
    }
    expect(queueNoticeOf({ type: 'transferred', entry: { ...entry, queue: 'tech' }, at: 9, by: 'anna', fromQueue: 'billing', toQueue: 'tech', toAgent: 'bob' })).toMatchObject({
      step: 'transferred', queue: 'tech', agent: 'bob', transfer: { by: 'anna', fromQueue: 'billing', toQueue: 'tech', toAgent: 'bob' },
    });
    expect(queueNoticeOf({ type: 'wrapped-up', at: 9, agent: 'anna', customer: 'cust', callId: 'c1', entryId: 'e1', queue: 'billing', disposition: 'ok' })).toEqual({
      step: 'wrapped-up', entryId: 'e1', queue: 'billing', customer: 'cust', at: 9, agent: 'anna', callId: 'c1', disposition: 'ok',
    });
    expect(ratingNoticeOf({ callId: 'c1', customer: 'cust', score: 4, comment: '', at: 9, queue: 'billing', entryId: 'e1', agent: 'anna' })).toMatchObject({
      step: 'rated', score: 4, agent: 'anna',
    });
  });

  it('leaves out what is not an entry step, or what the call events tell already', () => {
    expect(queueNoticeOf({ type: 'agent-status', at: 1, agent: 'anna', status: 'away' })).toBeNull();
    expect(queueNoticeOf({ type: 'offer-ended', entry, at: 1, agent: 'anna', result: 'refused' })).toBeNull();
  });
});
