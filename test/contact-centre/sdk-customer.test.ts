/**
 * The client SDK's contact centre, customer side, over real servers (memory, Redis, three nodes):
 * enterQueue → an agent's offer → the entry's Call → served → rating; positions; leaving; resume.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CallClient, CallFlags, ErrorCode, VideoCallEvent, type Call, type CallgateError, type QueueEntry } from '@callgate/client';
import { createAccessToken } from '@callgate/server';
import { incomingCalls, stepsOf, until } from '../support/calls.js';
import { connectAgent, entrySteps, positionsOf, setAvailable, untilStep } from '../support/queue-users.js';
import { TEST_SECRET, startTestServer, waitUntil, type TestServer } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

let server: TestServer | undefined;
const opened: { close(): unknown }[] = [];

async function start(queues: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  server = await startTestServer({ queues: [{ id: 'billing', name: 'Billing', wrapUp: 0 }], ...queues });
  return server;
}

async function user(userId: string, claims: Parameters<typeof TestUser.connect>[2] = {}): Promise<TestUser> {
  const connected = await TestUser.connect(server!, userId, claims);
  opened.push(connected);
  return connected;
}

async function agent(userId: string, queues = ['billing'], available = true): Promise<TestUser> {
  const connected = await connectAgent(server!, userId, queues, { available });
  opened.push(connected);
  return connected;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
  await server?.close();
  server = undefined;
});

describe('a customer in a queue (client SDK)', () => {
  it('enters, is offered to the agent as an incoming call with its queue, talks in the same room, is served and rates the call', async () => {
    await start();
    const anna = await agent('anna');
    const offers = incomingCalls(anna);
    const customer = await user('cust-1');
    const entry = await customer.client.enterQueue('billing', { userStr: 'order #1234', flags: CallFlags.AUDIO | CallFlags.VIDEO });
    expect(entry).toMatchObject({ queue: 'billing' });
    expect(['waiting', 'offered']).toContain(entry.state);
    expect(customer.client.currentEntry).toBe(entry);
    const steps = entrySteps(entry);

    const offer = await offers.next('the offer at anna', 8000);
    expect([offer.peer, offer.queue, offer.userStr, offer.flags, offer.direction]).toEqual(['cust-1', 'billing', 'order #1234', 3, 'incoming']);
    await waitUntil('the entry offered to anna', () => entry.state === 'offered' && entry.agent === 'anna', 5000);
    const calls: Call[] = [];
    entry.on('call', (call) => calls.push(call));
    const offerSteps = stepsOf(offer);
    await offer.accept();
    const roomStep = await untilStep(steps, 'call:');
    await until(offerSteps, 'started');
    expect(roomStep).toBe(`call:${offer.roomId}`);
    const call = calls[0]!;
    expect([call.callId, call.peer, call.state, call.direction]).toEqual([entry.callId, 'anna', 'talking', 'outgoing']);
    expect(entry.call).toBe(call);
    await untilStep(steps, 'connected@billing:anna');

    const ended = new Promise<string>((resolve) => entry.once('ended', resolve));
    const callEnded = until(stepsOf(call), 'ended');
    void callEnded.catch(() => {});
    await call.hangup();
    expect(await callEnded).toBe('ended:0');
    expect(await ended).toBe('served');
    expect(entry).toMatchObject({ state: 'ended', outcome: 'served', callId: call.callId });
    expect(customer.client.currentEntry).toBeNull();

    // The seed callback heard the queue call as START and FINISH only: no REQUEST or REPLY for offers.
    const seed = await customer.events.drain(100);
    expect(seed.map((e) => e.event)).toEqual([VideoCallEvent.START, VideoCallEvent.FINISH]);
    expect(seed[0]).toMatchObject({ userId: 'anna', param: offer.roomId });

    await customer.client.rateCall(call.callId!, { score: 5, comment: 'quick and kind' });
    await expect(customer.client.rateCall(call.callId!, { score: 4 })).rejects.toMatchObject({ code: ErrorCode.ALREADY_RATED });
    await expect(anna.client.rateCall(call.callId!, { score: 1 })).rejects.toMatchObject({ code: ErrorCode.RATING_NOT_ALLOWED });
    await expect(customer.client.rateCall(call.callId!, { score: 9 })).rejects.toMatchObject({ code: ErrorCode.MALFORMED });
  });

  it('tells each waiting customer its place, counting down as the ones ahead are served', async () => {
    await start();
    const anna = await agent('anna', ['billing'], false);
    const offers = incomingCalls(anna);
    const customers = [await user('cust-a'), await user('cust-b'), await user('cust-c')];
    const entries: QueueEntry[] = [];
    for (const customer of customers) entries.push(await customer.client.enterQueue('billing'));
    const last = entries[2]!;
    const seen = positionsOf(last);
    await waitUntil('positions 1, 2, 3', () => entries.map((e) => e.position).join() === '1,2,3', 8000);
    expect(last).toMatchObject({ ahead: 2, agentsAvailable: 0 });
    expect(last.estimatedWaitMs).toBeGreaterThanOrEqual(0);
    const waited = last.waitedMs;
    await waitUntil('the wait to count on locally', () => last.waitedMs > waited, 5000);

    await setAvailable(anna);
    for (const [expected, next] of [['cust-a', 2], ['cust-b', 1]] as const) {
      const offer = await offers.next(`the offer of ${expected}`, 8000);
      expect(offer.peer).toBe(expected);
      const offerSteps = stepsOf(offer);
      await offer.accept();
      await until(offerSteps, 'started');
      // While the one ahead talks, the last customer moves up (told within a second).
      await waitUntil(`the last customer at ${next}`, () => last.position === next, 8000);
      expect(last).toMatchObject({ ahead: next - 1, state: 'waiting' });
      await offer.hangup();
    }
    expect(seen).toEqual([3, 2, 1]);
    expect(entries[0]!.state).toBe('ended');
  });

  it('leaves the queue: the entry ends abandoned; wrong moves are refused with clear codes', async () => {
    await start();
    const customer = await user('cust-2');
    await expect(customer.client.enterQueue('nope')).rejects.toMatchObject({ code: ErrorCode.QUEUE_NOT_FOUND });
    await expect(customer.client.enterQueue('bad queue id!')).rejects.toMatchObject({ code: ErrorCode.MALFORMED });
    const entry = await customer.client.enterQueue('billing');
    await expect(customer.client.enterQueue('billing')).rejects.toMatchObject({ code: ErrorCode.ALREADY_QUEUED });
    const ended = new Promise<string>((resolve) => entry.once('ended', resolve));
    await entry.leave();
    expect(await ended).toBe('abandoned');
    await expect(entry.leave()).rejects.toMatchObject({ code: ErrorCode.NOT_QUEUED });
    const again = await customer.client.enterQueue('billing');
    expect(again.id).not.toBe(entry.id);
    expect(customer.client.currentEntry).toBe(again);
  });

  it('keeps its entry across a network drop: the offer answered meanwhile arrives on resume with the Call', async () => {
    await start();
    const anna = await agent('anna');
    const offers = incomingCalls(anna);
    const customer = await user('cust-3');
    const entry = await customer.client.enterQueue('billing');
    const steps = entrySteps(entry);
    const offer = await offers.next('the offer', 8000);
    await waitUntil('the entry offered', () => entry.state === 'offered', 5000);
    customer.drop();
    const offerSteps = stepsOf(offer);
    await offer.accept();
    await until(offerSteps, 'started');
    await customer.reconnect();
    expect(await untilStep(steps, 'call:')).toBe(`call:${offer.roomId}`);
    await waitUntil('the entry connected', () => entry.state === 'connected', 5000);
    expect(customer.client.currentEntry).toBe(entry);
    expect(customer.client.currentCall?.callId).toBe(entry.callId);
    await offer.hangup();
    await untilStep(steps, 'ended:served');
  });

  it('a reloaded page’s requests are its own: leaving and entering again after the reload are applied, not taken for the old page’s', async () => {
    await start({ graceMs: 10_000 });
    const first = await user('cust-5');
    await first.client.enterQueue('billing', { userStr: 'before the reload' });
    const saved = JSON.parse(JSON.stringify(first.client.session)) as NonNullable<CallClient['session']>;
    first.drop();

    const token = await createAccessToken({ secret: TEST_SECRET, userId: 'cust-5', ttlSeconds: 600 });
    const reloaded = new CallClient({ url: server!.nodeFor('cust-5').url, token, resume: saved });
    opened.push(reloaded);
    await reloaded.connect();
    const kept = reloaded.currentEntry!;
    const ended = new Promise((resolve) => kept.once('ended', resolve));
    await kept.leave();
    expect(await ended).toBe('abandoned');
    const again = await reloaded.enterQueue('billing', { userStr: 'after the reload' });
    expect(again.id).not.toBe(kept.id);
    expect(again.state).toBe('waiting');
  });

  it('keeps its place across a page reload: a new client resumes the saved session and follows the entry', async () => {
    await start({ graceMs: 10_000 });
    const anna = await agent('anna', ['billing'], false);
    const offers = incomingCalls(anna);
    const first = await user('cust-4');
    const entry = await first.client.enterQueue('billing', { userStr: 'before the reload' });
    const saved = JSON.parse(JSON.stringify(first.client.session)) as NonNullable<CallClient['session']>;
    expect(saved.entry).toMatchObject({ id: entry.id, queue: 'billing', state: 'waiting' });
    first.drop(); // the page goes away without a close handshake; its session waits for the grace period

    const token = await createAccessToken({ secret: TEST_SECRET, userId: 'cust-4', ttlSeconds: 600 });
    const reloaded = new CallClient({ url: server!.nodeFor('cust-4').url, token, resume: saved });
    opened.push(reloaded);
    const errors: CallgateError[] = [];
    reloaded.on('error', (error) => errors.push(error));
    expect(reloaded.currentEntry?.id).toBe(entry.id);
    await reloaded.connect();
    expect(reloaded.welcome?.resumed).toBe(true);
    const kept = reloaded.currentEntry!;
    const steps = entrySteps(kept);
    await waitUntil('the position after the reload', () => kept.position === 1, 8000);

    await setAvailable(anna);
    const offer = await offers.next('the offer after the reload', 8000);
    expect([offer.peer, offer.userStr]).toEqual(['cust-4', 'before the reload']);
    await offer.accept();
    expect(await untilStep(steps, 'call:')).toMatch(/^call:\d+$/);
    await offer.hangup();
    await untilStep(steps, 'ended:served');
    expect(errors).toEqual([]);
  });

  it('a resume that comes too late ends the entry as abandoned', async () => {
    await start({ graceMs: 200 });
    const customer = await user('cust-5');
    const entry = await customer.client.enterQueue('billing');
    const ended = new Promise<string>((resolve) => entry.once('ended', resolve));
    customer.drop();
    await new Promise((resolve) => setTimeout(resolve, 600));
    await customer.reconnect();
    expect(await ended).toBe('abandoned');
    expect(customer.client.currentEntry).toBeNull();
  });

  it('lists the queues a customer may choose from', async () => {
    await start({ queues: [{ id: 'billing', name: 'Billing' }, { id: 'tech', name: 'Technical help', mode: 'manual' }] });
    const customer = await user('cust-6');
    const queues = await customer.client.listQueues();
    expect([...queues].sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: 'billing', name: 'Billing', mode: 'auto', offerTimeout: 20, wrapUp: 10 },
      { id: 'tech', name: 'Technical help', mode: 'manual', offerTimeout: 20, wrapUp: 10 },
    ]);
  });

  it('tells agents and supervisors, not customers, how many wait in each queue', async () => {
    await start({ queues: [{ id: 'billing', name: 'Billing', offerTimeout: 15, wrapUp: 0 }, { id: 'tech', name: 'Technical help', mode: 'manual' }] });
    const waiting = await user('cust-7');
    await waiting.client.enterQueue('tech', { userStr: 'waits' });
    const anna = await user('anna', { role: 'agent', queues: ['billing', 'tech'] });
    const boss = await user('boss', { role: 'supervisor' });
    const customer = await user('cust-8');
    for (const staff of [anna, boss]) {
      const queues = await staff.client.listQueues();
      expect(queues.find((q) => q.id === 'tech')).toMatchObject({ waiting: 1 });
      expect(queues.find((q) => q.id === 'billing')).toMatchObject({ waiting: 0, offerTimeout: 15, wrapUp: 0 });
    }
    expect((await customer.client.listQueues()).every((q) => q.waiting === undefined)).toBe(true);
  });
});
