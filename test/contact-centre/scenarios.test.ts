/**
 * The contact centre over real sockets, on one node, on Redis and on three nodes (by the vitest
 * project): a morning of a small help desk, and a rush of customers at once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/protocol';
import { freshDatabase, type TestDatabase } from '../support/databases.js';
import { serversPerTest, sleep, waitUntil, type TestServer } from '../support/servers.js';
import { WireUser } from '../support/wire-user.js';

const { START, FINISH } = VideoCallEvent;
const tests = serversPerTest<{ close(): void }>();
const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.map((database) => database.drop()));
});

async function users(server: TestServer, ids: string[], claims: (id: string) => Record<string, unknown> = () => ({})): Promise<Record<string, WireUser>> {
  const connected = await Promise.all(ids.map((id) => WireUser.connect(server, id, claims(id))));
  connected.forEach((u) => tests.opened.push(u));
  return Object.fromEntries(connected.map((u) => [u.userId, u]));
}

/** Enters queues one after another, a few ms apart, so that the order of entry is the order here. */
async function enterInOrder(customers: WireUser[], queue: string): Promise<void> {
  for (const customer of customers) {
    await customer.enter(queue, `question of ${customer.userId}`);
    await sleep(3);
  }
}

describe('a morning at a small help desk: 3 agents, 10 customers, 2 queues', () => {
  it('FIFO, the priority queue first, no answer → next agent (the first goes away), refusal, abandon, wrap-up, transfer keeps the place, rating', async () => {
    // The nodes of a cluster share one records database, as in production (ratings live there).
    const database = await freshDatabase('postgres');
    databases.push(database);
    const server = await tests.start({
      db: database.db,
      queues: [
        { id: 'billing', name: 'Billing', offerTimeout: 1, wrapUp: 1 },
        { id: 'vip', name: 'VIP', priority: 10, wrapUp: 0 },
      ],
    });
    const agents = await users(server, ['anna', 'bob', 'carl'], (id) => ({ role: 'agent', queues: id === 'anna' ? ['billing', 'vip'] : ['billing'] }));
    const c = await users(server, Array.from({ length: 10 }, (_, i) => `cust-${i + 1}`));
    const { anna, bob, carl } = agents as Record<'anna' | 'bob' | 'carl', WireUser>;
    for (const agent of [anna, bob, carl]) await agent.status('away');

    // Six customers wait for billing, one for VIP; nobody is available yet.
    await enterInOrder([1, 2, 3, 4, 5, 6].map((i) => c[`cust-${i}`]!), 'billing');
    await c['cust-7']!.enter('vip');
    await c['cust-6']!.position(6);
    expect((await c['cust-1']!.position(1))).toMatchObject({ ahead: 0, agentsAvailable: 0 });

    // Anna serves both queues: VIP first.
    await anna.available();
    expect(await anna.offer()).toMatchObject({ userId: 'cust-7', queue: 'vip' });
    await anna.reply('cust-7');
    await c['cust-7']!.event(START);

    // Bob is offered the head of billing and does not answer: it goes to Carl, Bob goes away.
    await bob.available();
    expect(await bob.offer()).toMatchObject({ userId: 'cust-1', queue: 'billing' });
    expect(await bob.status('away', 5000)).toMatchObject({ reason: 'no-answer' });
    await bob.event(FINISH, 'the offer ends at Bob');
    await carl.available();
    expect(await carl.offer()).toMatchObject({ userId: 'cust-1' });

    // Carl refuses cust-1: it keeps its place; Carl gets the next one instead.
    await carl.reply('cust-1', ErrorCode.REJECT);
    expect(await carl.offer()).toMatchObject({ userId: 'cust-2' });
    await carl.reply('cust-2');
    await c['cust-2']!.event(START);

    // cust-3 gives up; the others move up.
    await c['cust-3']!.ask({ type: 'queue.leave' });
    expect(await c['cust-3']!.entryState('ended')).toMatchObject({ outcome: 'abandoned' });
    await c['cust-4']!.position(2);

    // cust-8 asks for VIP later than cust-2 entered billing; Carl hands cust-2 over to VIP.
    await c['cust-8']!.enter('vip');
    await carl.ask({ type: 'call.transfer', queue: 'vip' });
    expect((await c['cust-2']!.event(FINISH)).errorCode).toBe(ErrorCode.TRANSFERRED);
    expect(await c['cust-2']!.entryState('waiting', (e) => e.queue === 'vip')).toMatchObject({ transfer: { by: 'carl', fromQueue: 'billing', toQueue: 'vip' } });
    expect(await carl.status('wrap-up')).toBeTruthy();

    // Anna hangs up with cust-7 (served, VIP has no wrap-up): she is free at once and gets cust-2,
    // whose original time of entry puts it before cust-8.
    await anna.hangUp('cust-7');
    expect(await c['cust-7']!.entryState('ended')).toMatchObject({ outcome: 'served' });
    expect(await anna.offer()).toMatchObject({ userId: 'cust-2', queue: 'vip' });
    await anna.reply('cust-2');

    // Carl's wrap-up ends by itself after a second; cust-1 waits at the head, but Carl refused it: cust-4.
    expect(await carl.status('available', 5000)).toBeTruthy();
    expect(await carl.offer()).toMatchObject({ userId: 'cust-4' });

    // The served customer rates the call once.
    const callId = String(c['cust-7']!.log.find((m) => m.type === 'event' && m.event === START)?.callId);
    await c['cust-7']!.ask({ type: 'call.rate', callId, score: 5, comment: 'quick and kind' });
    await expect(c['cust-7']!.ask({ type: 'call.rate', callId, score: 1 })).rejects.toMatchObject({ code: ErrorCode.ALREADY_RATED });
    await expect(c['cust-1']!.ask({ type: 'call.rate', callId, score: 1 })).rejects.toMatchObject({ code: ErrorCode.RATING_NOT_ALLOWED });
  });
});

describe('a rush: 6 agents and 40 customers entering at once', () => {
  it('each customer is served exactly once, and each agent takes its customers in the order of the line', async () => {
    // The agents answer and hang up far faster than people can: their control budget is raised so
    // that an agent who happens to take many customers in a row is not rate-limited.
    const server = await tests.start({
      queues: [{ id: 'help', name: 'Help', wrapUp: 0, maxLength: 100 }],
      limits: { controlsPerSecond: 100, controlBurst: 100 },
    });
    const agentIds = Array.from({ length: 6 }, (_, i) => `agent-${i + 1}`);
    const customerIds = Array.from({ length: 40 }, (_, i) => `rush-${String(i + 1).padStart(2, '0')}`);
    const agents = await users(server, agentIds, () => ({ role: 'agent', queues: ['help'] }));
    const customers = await users(server, customerIds);
    const taken = new Map<string, string[]>(agentIds.map((id) => [id, []]));
    let stop: () => void = () => {};
    const done = new Promise<void>((resolve) => (stop = resolve));
    const serving = agentIds.map(async (id) => {
      const agent = agents[id]!;
      await agent.status('away');
      for (;;) {
        let offer;
        try {
          offer = await agent.offer(done);
        } catch {
          return; // no more offers
        }
        const customer = String(offer.userId);
        taken.get(id)!.push(customer);
        await agent.reply(customer);
        await agent.event(START);
        await sleep(5);
        await agent.hangUp(customer);
      }
    });
    await Promise.all(customerIds.map((id) => customers[id]!.enter('help')));
    await Promise.all(agentIds.map((id) => agents[id]!.available()));
    await waitUntil('every customer to be served', () => customerIds.every((id) => customers[id]!.entry?.outcome === 'served'), 30_000);
    const served = [...taken.values()].flat();
    expect(served.sort()).toEqual([...customerIds].sort());
    const orderOf = new Map(customerIds.map((id) => [id, [customers[id]!.entry!.enteredAt, customers[id]!.entry!.id] as const]));
    const before = (a: string, b: string): boolean => {
      const [x, y] = [orderOf.get(a)!, orderOf.get(b)!];
      return x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]);
    };
    for (const [agent, list] of taken) {
      for (let i = 1; i < list.length; i++) expect(before(list[i - 1]!, list[i]!), `${agent} took ${list[i - 1]} then ${list[i]}`).toBe(true);
    }
    for (const id of customerIds) {
      expect(customers[id]!.log.filter((m) => m.type === 'entry' && (m.entry as { state: string }).state === 'ended')).toHaveLength(1);
    }
    stop();
    await Promise.all(serving);
  }, 60_000);
});
