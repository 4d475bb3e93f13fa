/**
 * The client SDK's contact centre, agent and supervisor side, over real servers (memory, Redis,
 * three nodes): status, manual "next customer", transfers, wrap-up, the supervisors' board.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type Call, type QueueEntry } from '@callgate/client';
import type { ServerOptions } from '@callgate/server';
import { incomingCalls, stepsOf, until } from '../support/calls.js';
import { agentStatuses, connectAgent, entrySteps, untilStep } from '../support/queue-users.js';
import { startTestServer, waitUntil, type TestServer } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

let server: TestServer | undefined;
const opened: TestUser[] = [];

async function start(queues: ServerOptions['queues'], options: Partial<ServerOptions> = {}): Promise<void> {
  server = await startTestServer({ queues, ...options });
}

async function user(userId: string, claims: Parameters<typeof TestUser.connect>[2] = {}): Promise<TestUser> {
  const connected = await TestUser.connect(server!, userId, claims);
  opened.push(connected);
  return connected;
}

async function agent(userId: string, queues: string[], available = true): Promise<TestUser> {
  const connected = await connectAgent(server!, userId, queues, { available });
  opened.push(connected);
  return connected;
}

/** The agent accepts its next offer; resolves with the started call at both sides. */
async function answer(offers: ReturnType<typeof incomingCalls>, entry: QueueEntry): Promise<{ offer: Call; call: Call }> {
  const offer = await offers.next('an offer', 8000);
  const called = new Promise<Call>((resolve) => entry.once('call', resolve));
  const steps = stepsOf(offer);
  await offer.accept();
  await until(steps, 'started');
  return { offer, call: await called };
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
  await server?.close();
  server = undefined;
});

describe('an agent (client SDK)', () => {
  it('sets itself available and away with a reason; the SDK shows the status and emits agent-status', async () => {
    await start([{ id: 'billing', name: 'Billing' }]);
    const anna = await agent('anna', ['billing'], false);
    await waitUntil('the first status', () => anna.client.agentStatus !== null, 5000);
    expect(anna.client.agentStatus).toMatchObject({ status: 'away', queues: ['billing'] });
    const statuses = agentStatuses(anna);
    await anna.client.setAgentStatus('available');
    expect(await statuses.next('available')).toMatchObject({ status: 'available', queues: ['billing'] });
    await anna.client.setAgentStatus('away', { reason: 'lunch' });
    const away = await statuses.next('away');
    expect(away).toMatchObject({ status: 'away', reason: 'lunch' });
    expect(anna.client.agentStatus).toEqual(away);
    expect(away.since).toBeGreaterThan(0);

    const customer = await user('cust-1');
    expect(customer.client.agentStatus).toBeNull();
    await expect(customer.client.setAgentStatus('available')).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    await expect(customer.client.nextCustomer()).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    await expect(anna.client.endWrapUp()).rejects.toMatchObject({ code: ErrorCode.NOT_IN_WRAP_UP });
  });

  it('takes the next customer of a manual queue at once (null when nobody waits); both sides talk in one room', async () => {
    await start([{ id: 'desk', name: 'Front desk', mode: 'manual', wrapUp: 0 }]);
    const anna = await agent('anna', ['desk']);
    expect(await anna.client.nextCustomer()).toBeNull();
    const customer = await user('cust-2');
    const entry = await customer.client.enterQueue('desk', { userStr: 'walk-in' });
    const steps = entrySteps(entry);
    const call = await anna.client.nextCustomer();
    expect(call).not.toBeNull();
    await waitUntil('the call started at the agent', () => call!.state === 'talking', 5000);
    expect([call!.peer, call!.direction]).toEqual(['cust-2', 'incoming']);
    expect(await untilStep(steps, 'call:')).toBe(`call:${call!.roomId}`);
    expect(entry).toMatchObject({ state: 'connected', agent: 'anna', callId: call!.callId });
    expect(anna.client.currentCall).toBe(call);
    await call!.hangup();
    await untilStep(steps, 'ended:served');
    expect(await anna.client.nextCustomer()).toBeNull();
  });

  it('transfers its customer to another queue: the call ends TRANSFERRED, the entry waits there, an agent of that queue takes it', async () => {
    await start([
      { id: 'billing', name: 'Billing', wrapUp: 0 },
      { id: 'tech', name: 'Tech', wrapUp: 0 },
    ]);
    const anna = await agent('anna', ['billing']);
    const annaOffers = incomingCalls(anna);
    const bob = await agent('bob', ['tech'], false);
    const bobOffers = incomingCalls(bob);
    const customer = await user('cust-3');
    const entry = await customer.client.enterQueue('billing');
    const steps = entrySteps(entry);
    const first = await answer(annaOffers, entry);
    expect(first.offer.queue).toBe('billing');
    const firstEnded = until(stepsOf(first.call), 'ended');
    const offerEnded = until(stepsOf(first.offer), 'ended');

    await first.offer.transfer({ queue: 'tech' });
    expect(await firstEnded).toBe(`ended:${ErrorCode.TRANSFERRED}`);
    expect(await offerEnded).toBe(`ended:${ErrorCode.TRANSFERRED}`);
    await untilStep(steps, 'waiting@tech');
    expect(entry).toMatchObject({ queue: 'tech', state: 'waiting', transfer: { by: 'anna', fromQueue: 'billing', toQueue: 'tech' } });
    expect(entry.callId).toBeUndefined();

    await bob.client.setAgentStatus('available');
    const second = await answer(bobOffers, entry);
    expect(second.offer.queue).toBe('tech');
    expect(second.call.callId).not.toBe(first.call.callId);
    expect(entry.call).toBe(second.call);
    await second.call.hangup();
    await untilStep(steps, 'ended:served');
  });

  it('transfers to a named agent, who is offered the customer first; refused (and the call goes on) when that agent is not available', async () => {
    await start([{ id: 'billing', name: 'Billing', wrapUp: 0 }]);
    const anna = await agent('anna', ['billing']);
    const annaOffers = incomingCalls(anna);
    const bob = await agent('bob', ['billing'], false);
    const customer = await user('cust-4');
    const entry = await customer.client.enterQueue('billing');
    const steps = entrySteps(entry);
    const first = await answer(annaOffers, entry);
    await expect(first.offer.transfer({ agent: 'bob' })).rejects.toMatchObject({ code: ErrorCode.TRANSFER_REFUSED });
    expect(first.call.state).toBe('talking');
    await expect(customer.client.currentCall!.transfer({ queue: 'billing' })).rejects.toMatchObject({ code: ErrorCode.TRANSFER_REFUSED });

    await bob.client.setAgentStatus('available');
    await waitUntil('bob available', () => bob.client.agentStatus?.status === 'available', 5000);
    const bobOffers = incomingCalls(bob);
    await first.offer.transfer({ agent: 'bob' });
    await untilStep(steps, 'offered@billing:bob');
    expect(entry.transfer).toEqual({ by: 'anna', fromQueue: 'billing', toQueue: 'billing', toAgent: 'bob' });
    const second = await answer(bobOffers, entry);
    expect(second.offer.peer).toBe('cust-4');
    await second.call.hangup();
    await untilStep(steps, 'ended:served');
  });

  it('wraps up after a queue call until it ends wrap-up with a disposition, then is available again', async () => {
    await start([{ id: 'billing', name: 'Billing', wrapUp: 60 }]);
    const anna = await agent('anna', ['billing']);
    const offers = incomingCalls(anna);
    const statuses = agentStatuses(anna);
    const customer = await user('cust-5');
    const entry = await customer.client.enterQueue('billing');
    const { call } = await answer(offers, entry);
    await call.hangup();
    for (;;) if ((await statuses.next('wrap-up', 8000)).status === 'wrap-up') break;
    await anna.client.endWrapUp({ disposition: 'resolved', notes: 'refund sent' });
    expect(await statuses.next('available again')).toMatchObject({ status: 'available' });
    await expect(anna.client.endWrapUp()).rejects.toMatchObject({ code: ErrorCode.NOT_IN_WRAP_UP });
  });
});

describe('a supervisor (client SDK)', () => {
  it('watches the queues and agents: a snapshot, then changes; re-sent after a reconnect; FORBIDDEN for others', async () => {
    await start([
      { id: 'billing', name: 'Billing' },
      { id: 'tech', name: 'Tech' },
    ]);
    const anna = await agent('anna', ['billing'], false);
    const sue = await user('sue', { role: 'supervisor' });
    const board = sue.client.watchQueues();
    await board.ready;
    expect([...board.queues.keys()].sort()).toEqual(['billing', 'tech']);
    expect(board.queues.get('billing')).toMatchObject({ name: 'Billing', waiting: 0 });
    expect(board.agents.get('anna')).toMatchObject({ status: 'away', connected: true });

    const customer = await user('cust-6');
    await customer.client.enterQueue('billing');
    await waitUntil('one waiting on the board', () => board.queues.get('billing')?.waiting === 1, 8000);
    await anna.client.setAgentStatus('away', { reason: 'meeting' });
    await waitUntil('anna away for a meeting on the board', () => board.agents.get('anna')?.reason === 'meeting', 8000);

    sue.drop();
    await sue.reconnect();
    let snapshots = 0;
    board.on('update', () => snapshots++);
    await customer.client.currentEntry!.leave();
    await waitUntil('the board after the reconnect', () => board.queues.get('billing')?.waiting === 0, 8000);
    expect(snapshots).toBeGreaterThan(0);
    board.close();
    expect(board.isOpen).toBe(false);

    const refused = customer.client.watchQueues();
    await expect(refused.ready).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    expect(refused.isOpen).toBe(false);
  });
});
