/**
 * The contact centre on the business link, with real business SDK clients over real servers
 * (memory, Redis, three nodes): the decision on each entry (allow, refuse, priority), every step
 * of an entry heard once and in order, failures and fail-open.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type QueueEntry } from '@callgate/client';
import type { QueueEvent } from '@callgate/business';
import type { ServerOptions } from '@callgate/server';
import { incomingCalls, stepsOf, until } from '../support/calls.js';
import { connectAgent, entrySteps, setAvailable, untilStep } from '../support/queue-users.js';
import { startTestServer, waitUntil, type TestServer } from '../support/servers.js';
import { TestBusiness } from '../support/test-business.js';
import { TestUser } from '../support/test-user.js';

let server: TestServer | undefined;
const opened: { close(): Promise<void> }[] = [];

async function start(options: Partial<ServerOptions> = {}): Promise<TestBusiness> {
  server = await startTestServer({ queues: [{ id: 'billing', name: 'Billing', wrapUp: 0 }], ...options });
  const biz = await TestBusiness.connect(server);
  opened.push(biz);
  return biz;
}

async function user(userId: string): Promise<TestUser> {
  const connected = await TestUser.connect(server!, userId);
  opened.push(connected);
  return connected;
}

async function agent(userId: string, available: boolean): Promise<TestUser> {
  const connected = await connectAgent(server!, userId, ['billing'], { available });
  opened.push(connected);
  return connected;
}

/** The steps the business heard about `entryId` until `last`, in order. */
async function stepsHeard(biz: TestBusiness, entryId: string, last: QueueEvent['step']): Promise<QueueEvent[]> {
  await waitUntil(`the business to hear ${last}`, () => biz.queueHeard.some((e) => e.entryId === entryId && e.step === last), 8000);
  return biz.queueHeard.filter((e) => e.entryId === entryId);
}

/** Serves `entry`: the agent accepts its offer and the customer hangs up once the call started. */
async function serve(offers: ReturnType<typeof incomingCalls>, entry: QueueEntry): Promise<string> {
  const offer = await offers.next('an offer', 8000);
  const steps = stepsOf(offer);
  const called = new Promise<string>((resolve) => entry.once('call', (call) => resolve(call.callId!)));
  await offer.accept();
  await until(steps, 'started');
  const callId = await called;
  await entry.call!.hangup();
  await waitUntil('the entry served', () => entry.outcome === 'served', 8000);
  return callId;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
  await server?.close();
  server = undefined;
});

describe('the business server decides on queue entries', () => {
  it('is asked with what the customer sent; 0 lets it in, a code refuses it (nothing changes), { priority } puts it ahead', async () => {
    const biz = await start();
    const anna = await agent('anna', false);
    const offers = incomingCalls(anna);
    const [early, vip, refused] = [await user('cust-early'), await user('cust-vip'), await user('cust-refused')];
    biz.decideEntry = (entry) => (entry.customer === 'cust-refused' ? 600123 : entry.customer === 'cust-vip' ? { priority: 50 } : 0);

    const earlyEntry = await early.client.enterQueue('billing', { userStr: 'first in line', flags: 3 });
    expect(biz.entriesAsked[0]).toMatchObject({ customer: 'cust-early', queue: 'billing', userStr: 'first in line', flags: 3, param: 0 });
    await expect(refused.client.enterQueue('billing')).rejects.toMatchObject({ code: 600123 });
    expect(refused.client.currentEntry).toBeNull();
    const vipEntry = await vip.client.enterQueue('billing');
    await waitUntil('the vip first in line', () => vipEntry.position === 1 && earlyEntry.position === 2, 8000);

    await setAvailable(anna);
    const first = await offers.next('the first offer', 8000);
    expect(first.peer).toBe('cust-vip');
    const entered = await stepsHeard(biz, vipEntry.id, 'entered');
    expect(entered[0]).toMatchObject({ step: 'entered', customer: 'cust-vip', priority: 50 });
    expect(biz.queueHeard.some((e) => e.customer === 'cust-refused')).toBe(false);

    biz.decideEntry = () => 0;
    await refused.client.enterQueue('billing');
  });

  it('a callback that fails, or no decision in time, refuses with BUSINESS_UNAVAILABLE; fail-open lets the customer in', async () => {
    const biz = await start({ businessTimeoutMs: 300 });
    const customer = await user('cust-1');
    biz.decideEntry = () => {
      throw new Error('crm down');
    };
    await expect(customer.client.enterQueue('billing')).rejects.toMatchObject({ code: ErrorCode.BUSINESS_UNAVAILABLE });
    biz.decideEntry = () => new Promise(() => {});
    await expect(customer.client.enterQueue('billing')).rejects.toMatchObject({ code: ErrorCode.BUSINESS_UNAVAILABLE });
    biz.decideEntry = () => ({ priority: 1000 });
    await expect(customer.client.enterQueue('billing')).rejects.toMatchObject({ code: ErrorCode.BUSINESS_UNAVAILABLE });
    expect((await biz.errors.next('the callback failure')).code).toBe(ErrorCode.BUSINESS_UNAVAILABLE);
  });

  it('fail-open: a failed decision lets the customer in', async () => {
    const biz = await start({ businessTimeoutMs: 300, businessFailOpen: true });
    const customer = await user('cust-2');
    biz.decideEntry = () => new Promise(() => {});
    const entry = await customer.client.enterQueue('billing');
    expect(entry.state).toBe('waiting');
  });

  it('without a business link the core lets everyone in alone', async () => {
    const biz = await start();
    await biz.close();
    const customer = await user('cust-3');
    const entry = await customer.client.enterQueue('billing');
    expect(entry.queue).toBe('billing');
    expect(biz.entriesAsked).toEqual([]);
  });
});

describe('the business server hears every step of every queue entry, once, in order', () => {
  it('a served entry: entered, offered, answered, served, wrapped-up (with the disposition), rated', async () => {
    const biz = await start({ queues: [{ id: 'billing', name: 'Billing', wrapUp: 60 }] });
    const anna = await agent('anna', true);
    const offers = incomingCalls(anna);
    const customer = await user('cust-4');
    const entry = await customer.client.enterQueue('billing', { userStr: 'order #1234' });
    const callId = await serve(offers, entry);
    await waitUntil('anna in wrap-up', () => anna.client.agentStatus?.status === 'wrap-up', 8000);
    await anna.client.endWrapUp({ disposition: 'resolved', notes: 'refund sent' });
    await customer.client.rateCall(callId, { score: 5, comment: 'quick and kind' });

    const heard = await stepsHeard(biz, entry.id, 'rated');
    expect(heard.map((e) => e.step)).toEqual(['entered', 'offered', 'answered', 'served', 'wrapped-up', 'rated']);
    expect(new Set(heard.map((e) => e.id)).size).toBe(heard.length);
    const [entered, offered, answered, served, wrappedUp, rated] = heard;
    expect(entered).toMatchObject({ queue: 'billing', customer: 'cust-4', userStr: 'order #1234', priority: 0, enteredAt: entry.enteredAt });
    expect(offered).toMatchObject({ agent: 'anna', callId });
    expect(answered).toMatchObject({ agent: 'anna', callId, customer: 'cust-4' });
    expect(answered!.waitedMs).toBeGreaterThanOrEqual(0);
    expect(served).toMatchObject({ agent: 'anna', callId, customer: 'cust-4' });
    expect(wrappedUp).toMatchObject({ agent: 'anna', callId, disposition: 'resolved', notes: 'refund sent' });
    expect(rated).toMatchObject({ agent: 'anna', callId, customer: 'cust-4', queue: 'billing', score: 5, comment: 'quick and kind' });
    const times = heard.map((e) => e.at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // The offer is a call too: its events reach the call callback as for any call.
    expect(biz.heard.filter((e) => e.details.callId === callId).length).toBeGreaterThanOrEqual(3);
  });

  it('abandoned, timeout and transferred', async () => {
    const biz = await start({
      queues: [
        { id: 'billing', name: 'Billing', wrapUp: 0 },
        { id: 'slow', name: 'Slow', maxWait: 0.3 },
        { id: 'tech', name: 'Tech', wrapUp: 0 },
      ],
    });
    const leaver = await user('cust-5');
    const left = await leaver.client.enterQueue('billing');
    await left.leave();
    expect((await stepsHeard(biz, left.id, 'abandoned')).map((e) => e.step)).toEqual(['entered', 'abandoned']);

    const waiter = await user('cust-6');
    const timedOut = await waiter.client.enterQueue('slow');
    expect((await stepsHeard(biz, timedOut.id, 'timeout')).map((e) => e.step)).toEqual(['entered', 'timeout']);

    const anna = await agent('anna', true);
    const offers = incomingCalls(anna);
    const customer = await user('cust-7');
    const entry = await customer.client.enterQueue('billing');
    const steps = entrySteps(entry);
    const offer = await offers.next('the offer', 8000);
    const offerSteps = stepsOf(offer);
    await offer.accept();
    await until(offerSteps, 'started');
    await offer.transfer({ queue: 'tech' });
    await untilStep(steps, 'waiting@tech');
    await entry.leave();
    const heard = await stepsHeard(biz, entry.id, 'abandoned');
    expect(heard.map((e) => e.step)).toEqual(['entered', 'offered', 'answered', 'transferred', 'abandoned']);
    expect(heard[3]).toMatchObject({ queue: 'tech', customer: 'cust-7', transfer: { by: 'anna', fromQueue: 'billing', toQueue: 'tech' } });
  });

  it('with two business servers each step goes to exactly one of them, in order per entry', async () => {
    const first = await start();
    const second = await TestBusiness.connect(server!, 'second');
    opened.push(second);
    const anna = await agent('anna', true);
    const offers = incomingCalls(anna);
    const entries: QueueEntry[] = [];
    for (const name of ['cust-8', 'cust-9', 'cust-10']) {
      const customer = await user(name);
      const entry = await customer.client.enterQueue('billing');
      entries.push(entry);
      await serve(offers, entry);
    }
    const all = (): QueueEvent[] => [...first.queueHeard, ...second.queueHeard];
    await waitUntil('every served step', () => all().filter((e) => e.step === 'served').length === 3, 8000);
    expect(new Set(all().map((e) => e.id)).size).toBe(all().length);
    for (const entry of entries) {
      const steps = all()
        .filter((e) => e.entryId === entry.id)
        .sort((a, b) => a.at - b.at)
        .map((e) => e.step);
      expect(steps).toEqual(['entered', 'offered', 'answered', 'served']);
      for (const biz of [first, second]) {
        const own = biz.queueHeard.filter((e) => e.entryId === entry.id).map((e) => e.step);
        expect(steps.filter((s) => own.includes(s))).toEqual(own);
      }
    }
    expect(first.entriesAsked.length + second.entriesAsked.length).toBe(3);
  });
});
