/**
 * The contact centre's rules (docs/contact-centre.md), one by one, on the switchboard and the
 * memory backend with a clock the test moves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/protocol';
import { QueueWorld } from './support/queue-world.js';

const { REQUEST, REPLY, START, FINISH } = VideoCallEvent;
let world: QueueWorld | undefined;

function open(queues: ConstructorParameters<typeof QueueWorld>[0]): QueueWorld {
  world = new QueueWorld(queues);
  return world;
}

afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('order of service', () => {
  it('first come, first served within a queue', async () => {
    const w = open([{ id: 'billing', name: 'Billing' }]);
    await w.agent('anna', ['billing']);
    for (const c of ['c1', 'c2', 'c3']) {
      await w.connect(c);
      expect((await w.enter(c, 'billing')).result).toEqual({ ok: true });
      w.advance(10);
    }
    await w.available('anna');
    expect(await w.offers()).toEqual(new Map([['anna', 'c1']]));
  });

  it('a higher customer priority (signed claim) goes first; then time of entry', async () => {
    const w = open([{ id: 'billing', name: 'Billing' }]);
    await w.agent('anna', ['billing']);
    await w.connect('early');
    await w.connect('vip', { priority: 50 });
    await w.enter('early', 'billing');
    w.advance(10);
    await w.enter('vip', 'billing');
    await w.available('anna');
    expect(await w.offers()).toEqual(new Map([['anna', 'vip']]));
  });

  it('a higher queue priority goes first for an agent serving both queues', async () => {
    const w = open([
      { id: 'general', name: 'General', priority: 0 },
      { id: 'urgent', name: 'Urgent', priority: 10 },
    ]);
    await w.agent('anna', ['general', 'urgent']);
    await w.connect('c1');
    await w.connect('c2');
    await w.enter('c1', 'general');
    w.advance(10);
    await w.enter('c2', 'urgent');
    await w.available('anna');
    expect(await w.offers()).toEqual(new Map([['anna', 'c2']]));
  });
});

describe('which agent is offered', () => {
  it('the longest-idle available agent', async () => {
    const w = open([{ id: 'billing', name: 'Billing' }]);
    await w.agent('anna', ['billing']);
    await w.agent('bob', ['billing']);
    await w.available('bob');
    w.advance(1000);
    await w.available('anna');
    await w.connect('c1');
    await w.enter('c1', 'billing');
    expect(await w.offers()).toEqual(new Map([['bob', 'c1']]));
  });

  it('only agents with every skill of the queue, who serve it, connected and in no call', async () => {
    const w = open([{ id: 'fr', name: 'French', skills: ['french'] }]);
    await w.agent('noskill', ['fr']);
    await w.agent('other-queue', ['billing'], { skills: ['french'] });
    await w.agent('dropped', ['fr'], { skills: ['french'] });
    await w.agent('busy', ['fr'], { skills: ['french'] });
    await w.agent('ok', ['fr'], { skills: ['french', 'german'] });
    for (const a of ['noskill', 'other-queue', 'busy']) await w.available(a);
    await w.available('dropped');
    await w.drop('dropped');
    await w.connect('friend');
    await w.control('friend', REQUEST, 'busy');
    await w.connect('c1');
    await w.enter('c1', 'fr');
    expect(await w.offers()).toEqual(new Map());
    await w.available('ok');
    expect(await w.offers()).toEqual(new Map([['ok', 'c1']]));
  });

  it('an agent that signs in is away until it says it is available', async () => {
    const w = open([{ id: 'billing', name: 'Billing' }]);
    await w.agent('anna', ['billing']);
    expect(await w.statusOf('anna')).toMatchObject({ status: 'away', queues: ['billing'] });
    await w.connect('c1');
    await w.enter('c1', 'billing');
    expect(await w.offers()).toEqual(new Map());
  });
});

describe('an offer is an ordinary call', () => {
  it('the agent gets REQUEST from the customer with the queue; the customer gets no REQUEST or REPLY', async () => {
    const w = open([{ id: 'billing', name: 'Billing', wrapUp: 0 }]);
    await w.agent('anna', ['billing']);
    await w.available('anna');
    await w.connect('c1');
    await w.take('anna');
    await w.enter('c1', 'billing', { userStr: 'order 7', flags: 3 });
    expect(await w.events('anna')).toMatchObject([{ event: REQUEST, userId: 'c1', queue: 'billing', userStr: 'order 7', flags: 3 }]);
    expect((await w.take('c1')).map((m) => (m.type === 'entry' ? m.entry.state : m.type))).toEqual(['waiting', 'offered']);
    expect(await w.statusOf('anna')).toMatchObject({ status: 'offered' });
    await w.accept('anna', 'c1');
    const started = await w.take('c1');
    expect(started.find((m) => m.type === 'event')).toMatchObject({ event: START, userId: 'anna' });
    expect(await w.entryOf('c1')).toMatchObject({ state: 'connected', agent: 'anna' });
    expect(await w.statusOf('anna')).toMatchObject({ status: 'talking' });
    await w.hangUp('c1', 'anna');
    expect(await w.entryOf('c1')).toMatchObject({ state: 'ended', outcome: 'served' });
    expect(await w.events('c1')).toMatchObject([{ event: FINISH }]);
    expect(await w.statusOf('anna')).toMatchObject({ status: 'available' });
  });

  it('a refusal goes to the next agent, never back to the same one for this entry', async () => {
    const w = open([{ id: 'billing', name: 'Billing' }]);
    await w.agent('anna', ['billing']);
    await w.agent('bob', ['billing']);
    await w.available('anna');
    w.advance(5);
    await w.connect('c1');
    await w.enter('c1', 'billing');
    expect(await w.offers()).toEqual(new Map([['anna', 'c1']]));
    await w.refuse('anna', 'c1');
    expect(await w.offers()).toEqual(new Map());
    expect(await w.entryOf('c1')).toMatchObject({ state: 'waiting' });
    expect(await w.statusOf('anna')).toMatchObject({ status: 'available' });
    await w.available('bob');
    expect(await w.offers()).toEqual(new Map([['bob', 'c1']]));
    expect((await w.events('c1')).filter((e) => e.event === REPLY)).toEqual([]);
  });

  it('no answer in time: the next agent is offered it and the first goes away (no-answer)', async () => {
    const w = open([{ id: 'billing', name: 'Billing', offerTimeout: 20 }]);
    await w.agent('anna', ['billing']);
    await w.agent('bob', ['billing']);
    await w.available('anna');
    w.advance(5);
    await w.available('bob');
    await w.connect('c1');
    await w.enter('c1', 'billing');
    const call = await w.callOf('anna');
    await w.offerTimesOut(call!.callId);
    expect(await w.offers()).toEqual(new Map([['bob', 'c1']]));
    expect(await w.statusOf('anna')).toMatchObject({ status: 'away', reason: 'no-answer' });
    expect((await w.events('anna')).at(-1)).toMatchObject({ event: FINISH, errorCode: ErrorCode.TIMEOUT });
  });

  it('an agent that goes away while an offer rings declines it', async () => {
    const w = open([{ id: 'billing', name: 'Billing' }]);
    await w.agent('anna', ['billing']);
    await w.agent('bob', ['billing']);
    await w.available('anna');
    w.advance(5);
    await w.available('bob');
    await w.connect('c1');
    await w.enter('c1', 'billing');
    await w.away('anna', 'lunch');
    expect(await w.statusOf('anna')).toMatchObject({ status: 'away', reason: 'lunch' });
    expect(await w.offers()).toEqual(new Map([['bob', 'c1']]));
  });
});

describe('manual queues', () => {
  it('next customer gives the head at once (START to both, no ringing), or says nobody waits', async () => {
    const w = open([{ id: 'callback', name: 'Call-backs', mode: 'manual' }]);
    await w.agent('anna', ['callback']);
    await w.available('anna');
    expect(await w.next('anna')).toEqual({ result: { ok: true }, ack: { empty: true } });
    await w.connect('c1');
    await w.connect('c2');
    await w.enter('c1', 'callback');
    w.advance(5);
    await w.enter('c2', 'callback');
    expect(await w.offers()).toEqual(new Map());
    await w.take('anna');
    const answer = await w.next('anna');
    expect(answer.ack?.callId).toBeTruthy();
    expect(await w.events('anna')).toMatchObject([{ event: START, userId: 'c1' }]);
    expect((await w.events('c1')).map((e) => e.event)).toEqual([START]);
    expect(await w.entryOf('c1')).toMatchObject({ state: 'connected', agent: 'anna' });
  });
});

describe('wrap-up', () => {
  it('after a queue call for the queue time, or until the agent ends it with a disposition', async () => {
    const w = open([{ id: 'billing', name: 'Billing', wrapUp: 30 }]);
    await w.agent('anna', ['billing']);
    await w.available('anna');
    for (const c of ['c1', 'c2']) {
      await w.connect(c);
      await w.enter(c, 'billing');
    }
    await w.accept('anna', 'c1');
    await w.hangUp('anna', 'c1');
    expect(await w.statusOf('anna')).toMatchObject({ status: 'wrap-up' });
    expect(await w.offers()).toEqual(new Map());
    expect(await w.endWrapUp('anna', { disposition: 'resolved', notes: 'refund sent' })).toEqual({ result: { ok: true } });
    expect(w.transitions.find((t) => t.type === 'wrapped-up')).toMatchObject({ agent: 'anna', disposition: 'resolved', notes: 'refund sent' });
    expect(await w.offers()).toEqual(new Map([['anna', 'c2']]));
    await w.accept('anna', 'c2');
    const { callId } = (await w.callOf('anna'))!;
    await w.hangUp('c2', 'anna');
    w.advance(29_000);
    await w.input({ kind: 'wrap-up-expired', userId: 'anna', callId });
    expect(await w.statusOf('anna')).toMatchObject({ status: 'wrap-up' });
    w.advance(1000);
    await w.input({ kind: 'wrap-up-expired', userId: 'anna', callId });
    expect(await w.statusOf('anna')).toMatchObject({ status: 'available' });
    expect((await w.endWrapUp('anna')).result).toEqual({ ok: false, code: ErrorCode.NOT_IN_WRAP_UP });
  });
});

describe('transfer', () => {
  it('to a queue: the call ends with TRANSFERRED for both, the customer keeps its original time of entry', async () => {
    const w = open([
      { id: 'billing', name: 'Billing' },
      { id: 'tech', name: 'Tech' },
    ]);
    await w.agent('anna', ['billing']);
    await w.agent('tom', ['tech']);
    await w.connect('first');
    await w.connect('later');
    await w.available('anna');
    await w.enter('first', 'billing');
    w.advance(1000);
    await w.enter('later', 'tech');
    await w.accept('anna', 'first');
    await w.take('first');
    expect((await w.transfer('anna', { queue: 'tech' })).result).toEqual({ ok: true });
    expect((await w.events('first')).map((e) => [e.event, e.errorCode])).toEqual([[FINISH, ErrorCode.TRANSFERRED]]);
    expect(await w.entryOf('first')).toMatchObject({ state: 'waiting', queue: 'tech', transfer: { by: 'anna', fromQueue: 'billing', toQueue: 'tech' } });
    await w.available('tom');
    expect(await w.offers()).toEqual(new Map([['tom', 'first']]));
  });

  it('to a named agent: offered to that agent first; refused (the call goes on) when it is not available', async () => {
    const w = open([{ id: 'billing', name: 'Billing' }]);
    await w.agent('anna', ['billing']);
    await w.agent('bob', ['tech']);
    await w.connect('c1');
    await w.available('anna');
    await w.enter('c1', 'billing');
    await w.accept('anna', 'c1');
    expect((await w.transfer('anna', { agent: 'bob' })).result).toMatchObject({ ok: false, code: ErrorCode.TRANSFER_REFUSED });
    expect(await w.callOf('anna')).toMatchObject({ phase: 'talking', customer: 'c1' });
    await w.available('bob');
    expect((await w.transfer('anna', { agent: 'bob' })).result).toEqual({ ok: true });
    expect(await w.offers()).toEqual(new Map([['bob', 'c1']]));
  });
});

describe('how an entry ends', () => {
  it('the customer leaves (abandoned), waits too long (timeout), or its queue closes (closed)', async () => {
    const w = open([{ id: 'billing', name: 'Billing', maxWait: 60 }]);
    for (const c of ['leaver', 'waiter', 'closer']) await w.connect(c);
    await w.enter('leaver', 'billing');
    await w.leave('leaver');
    await w.enter('waiter', 'billing');
    const waiter = (await w.entryOf('waiter'))!.id;
    w.advance(60_001);
    await w.input({ kind: 'wait-expired', entryId: waiter });
    await w.enter('closer', 'billing');
    await w.input({ kind: 'queue-closed', queue: 'billing' });
    expect(w.ended().map((e) => [e.customer, e.outcome])).toEqual([
      ['leaver', 'abandoned'],
      ['waiter', 'timeout'],
      ['closer', 'closed'],
    ]);
    expect(await w.backend.liveEntries()).toEqual([]);
  });

  it('a customer that drops keeps its place for the grace period and loses it after', async () => {
    const w = open([{ id: 'billing', name: 'Billing' }]);
    await w.connect('c1');
    await w.connect('c2');
    await w.enter('c1', 'billing');
    w.advance(5);
    await w.enter('c2', 'billing');
    await w.drop('c1');
    await w.connect('c1');
    await w.agent('anna', ['billing']);
    await w.available('anna');
    expect(await w.offers()).toEqual(new Map([['anna', 'c1']]));
    await w.refuse('anna', 'c1');
    await w.drop('c1');
    await w.graceOver('c1');
    expect(w.ended()).toEqual([expect.objectContaining({ customer: 'c1', outcome: 'abandoned' })]);
  });
});

describe('bad input changes nothing', () => {
  it('unknown queue, already queued, in a call, queue full, not an agent', async () => {
    const w = open([{ id: 'small', name: 'Small', maxLength: 1 }]);
    await w.connect('c1');
    await w.connect('c2');
    await w.connect('c3');
    await w.connect('friend');
    expect((await w.enter('c1', 'nope')).result).toMatchObject({ ok: false, code: ErrorCode.QUEUE_NOT_FOUND });
    expect((await w.enter('c1', 'small')).result).toEqual({ ok: true });
    expect((await w.enter('c1', 'small')).result).toMatchObject({ ok: false, code: ErrorCode.ALREADY_QUEUED });
    expect((await w.enter('c2', 'small')).result).toMatchObject({ ok: false, code: ErrorCode.QUEUE_FULL });
    await w.control('c3', REQUEST, 'friend');
    expect((await w.enter('c3', 'small')).result).toMatchObject({ ok: false, code: ErrorCode.INCHAT });
    expect((await w.available('c2')).result).toMatchObject({ ok: false, code: ErrorCode.FORBIDDEN });
    expect((await w.next('c2')).result).toMatchObject({ ok: false, code: ErrorCode.FORBIDDEN });
    expect((await w.leave('c2')).result).toMatchObject({ ok: false, code: ErrorCode.NOT_QUEUED });
    expect((await w.backend.liveEntries()).map((e) => e.customer)).toEqual(['c1']);
    expect(await w.control('c1', REQUEST, 'friend')).toEqual({ ok: true });
    expect((await w.events('c1')).at(-1)).toMatchObject({ event: REPLY, errorCode: ErrorCode.INCHAT });
  });
});
