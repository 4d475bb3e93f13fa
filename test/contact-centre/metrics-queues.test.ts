/**
 * The contact centre's Prometheus metrics over real servers: gauges read from the state (the
 * whole cluster's, on every node), counters and the wait histogram observed once per entry by
 * the node that decided the step (summed over the nodes of a cluster).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sample } from '../support/history.js';
import { answerOffer, availableAgent, enterQueue, hangUp, WireUser } from '../support/queue-wire.js';
import { startTestServer, waitUntil, type TestServer } from '../support/servers.js';

const users: WireUser[] = [];

afterEach(() => {
  users.splice(0).forEach((user) => user.close());
});

describe('queue metrics', () => {
  let server: TestServer;

  const scrape = (): Promise<string[]> => Promise.all(server.nodes.map(async (node) => (await fetch(`${node.httpUrl}/metrics`)).text()));
  /** A counter's value summed over every node. */
  const total = async (name: string, labels: Record<string, string>): Promise<number> =>
    (await scrape()).reduce((sum, text) => sum + (sample(text, name, labels) ?? 0), 0);
  /** A gauge's value on every node (each reads the shared state). */
  const everywhere = async (name: string, labels: Record<string, string>): Promise<(number | undefined)[]> =>
    (await scrape()).map((text) => sample(text, name, labels));

  beforeAll(async () => {
    server = await startTestServer({ graceMs: 300, queues: [{ id: 'mq', name: 'Metrics', wrapUp: 0 }, { id: 'mq-empty', name: 'Empty' }] });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('waiting per queue, agents by status, entries by outcome and the wait histogram', async () => {
    const anna = await availableAgent(server, 'mq-anna', ['mq']);
    users.push(anna);
    expect(await everywhere('callgate_agents', { status: 'available' })).toEqual(server.nodes.map(() => 1));
    expect(await everywhere('callgate_agents', { status: 'talking' })).toEqual(server.nodes.map(() => 0));
    for (let i = 0; i < 2; i++) {
      const customer = await WireUser.connect(server, `mq-served-${i}`);
      users.push(customer);
      await enterQueue(customer, 'mq');
      await answerOffer(anna, customer);
      if (i === 0) expect(await everywhere('callgate_agents', { status: 'talking' })).toEqual(server.nodes.map(() => 1));
      await hangUp(customer, anna);
      await anna.agentStatus('available');
    }
    await anna.request({ type: 'agent.status', status: 'away', reason: 'break' });
    const leaver = await WireUser.connect(server, 'mq-leaver');
    const waiter = await WireUser.connect(server, 'mq-waiter');
    users.push(leaver, waiter);
    await enterQueue(leaver, 'mq');
    await leaver.request({ type: 'queue.leave' });
    await enterQueue(waiter, 'mq');

    expect(await everywhere('callgate_queue_waiting', { queue: 'mq' })).toEqual(server.nodes.map(() => 1));
    expect(await everywhere('callgate_queue_waiting', { queue: 'mq-empty' })).toEqual(server.nodes.map(() => 0));
    expect(await everywhere('callgate_agents', { status: 'away' })).toEqual(server.nodes.map(() => 1));
    await waitUntil('two served and one abandoned entry, each counted once', async () => {
      const [served, abandoned] = await Promise.all([
        total('callgate_queue_entries_total', { queue: 'mq', outcome: 'served' }),
        total('callgate_queue_entries_total', { queue: 'mq', outcome: 'abandoned' }),
      ]);
      return served === 2 && abandoned === 1;
    });
    expect(await total('callgate_queue_wait_seconds_count', { queue: 'mq' })).toBe(2);
    expect(await total('callgate_queue_wait_seconds_bucket', { queue: 'mq', le: '+Inf' })).toBe(2);
    expect(await total('callgate_queue_wait_seconds_sum', { queue: 'mq' })).toBeGreaterThanOrEqual(0);

    await waiter.request({ type: 'queue.leave' });
    expect(await everywhere('callgate_queue_waiting', { queue: 'mq' })).toEqual(server.nodes.map(() => 0));
    await waitUntil('the second abandoned entry', async () => (await total('callgate_queue_entries_total', { queue: 'mq', outcome: 'abandoned' })) === 2);
  });
});
