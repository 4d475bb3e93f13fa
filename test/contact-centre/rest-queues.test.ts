/**
 * The queues over REST: definitions (admin key), live figures and statistics (admin key or a
 * supervisor's token), over real servers, sockets and databases.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecordView, QueueEntryView, QueueStatsView, QueueView } from '@callgate/server';
import { freshDatabase, type TestDatabase } from '../support/databases.js';
import { apiGet, type ApiAnswer, type ApiErrorBody } from '../support/history.js';
import { answerOffer, availableAgent, enterQueue, hangUp, tokenFor, WireUser } from '../support/queue-wire.js';
import { startTestServer, topology, waitUntil, type TestServer } from '../support/servers.js';

const ADMIN = 'rest-queues-admin';
const users: WireUser[] = [];

afterEach(() => {
  users.splice(0).forEach((user) => user.close());
});

async function send<T>(server: TestServer, method: string, path: string, credential: string | undefined, body?: unknown): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = credential === undefined ? {} : { authorization: `Bearer ${credential}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.httpUrl}${path}`, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

describe('the queues API', () => {
  let database: TestDatabase;
  let server: TestServer;
  let supervisor: string;
  let agentToken: string;

  const connect = async (userId: string, claims?: Record<string, unknown>): Promise<WireUser> => {
    const user = await WireUser.connect(server, userId, claims);
    users.push(user);
    return user;
  };
  const agent = async (userId: string, queues: string[]): Promise<WireUser> => {
    const user = await availableAgent(server, userId, queues);
    users.push(user);
    return user;
  };
  const refused = async (method: string, path: string, credential: string | undefined, status: number, code: string, body?: unknown): Promise<string> => {
    const answer = await send<ApiErrorBody>(server, method, path, credential, body);
    expect([answer.status, answer.body?.error?.code], `${method} ${path}: ${JSON.stringify(answer.body)}`).toEqual([status, code]);
    return answer.body.error.message;
  };

  /** A change made on one node reaches the others over the cluster: wait until every node answers `status` for the queue. */
  const everyNode = async (id: string, status: number): Promise<void> => {
    await waitUntil(`every node to answer ${status} for queue ${id}`, async () => {
      const answers = await Promise.all(server.nodes.map((node) => apiGet(node, `/api/queues/${id}`, ADMIN)));
      return answers.every((answer) => answer.status === status);
    });
  };
  const put = async (id: string, definition: unknown): Promise<void> => {
    expect((await send(server, 'PUT', `/api/queues/${id}`, ADMIN, definition)).status).toBeLessThan(300);
    await everyNode(id, 200);
  };

  beforeAll(async () => {
    database = await freshDatabase(topology === 'memory' ? 'sqlite' : 'postgres');
    server = await startTestServer({
      db: database.db,
      adminKey: ADMIN,
      graceMs: 300,
      queues: [
        { id: 'billing', name: 'Billing', priority: 5, wrapUp: 0, serviceLevel: 30 },
        { id: 'sales', name: 'Sales', mode: 'manual' },
      ],
    });
    supervisor = await tokenFor('boss', { role: 'supervisor' });
    agentToken = await tokenFor('some-agent', { role: 'agent', queues: ['billing'] });
  });

  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('lists every queue with its definition and live figures, for the admin key and a supervisor', async () => {
    const anna = await agent('q-anna', ['billing']);
    const customer = await connect('q-cust');
    await enterQueue(customer, 'sales');
    for (const credential of [ADMIN, supervisor]) {
      const answer = await apiGet<{ queues: QueueView[] }>(server, '/api/queues', credential);
      expect(answer.status).toBe(200);
      const byId = Object.fromEntries(answer.body.queues.map((q) => [q.id, q]));
      expect(byId.billing).toEqual({
        id: 'billing',
        definition: { name: 'Billing', priority: 5, mode: 'auto', skills: [], offerTimeout: 20, wrapUp: 0, maxWait: 600, maxLength: 1000, serviceLevel: 30 },
        live: { waiting: 0, longestWaitMs: 0, agents: { offline: 0, available: 1, offered: 0, talking: 0, 'wrap-up': 0, away: 0 } },
      });
      expect(byId.sales?.live).toMatchObject({ waiting: 1, agents: { available: 0 } });
      expect(answer.body.queues.map((q) => q.id)).toEqual(['billing', 'sales']); // higher priority first
    }
    const one = await apiGet<QueueView>(server, '/api/queues/sales', supervisor);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: 'sales', definition: { mode: 'manual' }, live: { waiting: 1 } });
    await customer.request({ type: 'queue.leave' });
    anna.close();
  });

  it('refuses readers that are not the admin or a supervisor, and writers that are not the admin', async () => {
    await refused('GET', '/api/queues', undefined, 401, 'UNAUTHORIZED');
    await refused('GET', '/api/queues', 'wrong-key', 401, 'UNAUTHORIZED');
    await refused('GET', '/api/queues', agentToken, 403, 'FORBIDDEN');
    await refused('GET', '/api/queues/billing/stats', agentToken, 403, 'FORBIDDEN');
    await refused('PUT', '/api/queues/new', supervisor, 403, 'FORBIDDEN', { name: 'New' });
    await refused('DELETE', '/api/queues/billing', supervisor, 403, 'FORBIDDEN');
    await refused('GET', '/api/queues/nope', ADMIN, 404, 'QUEUE_NOT_FOUND');
    await refused('GET', '/api/queues/nope/stats', ADMIN, 404, 'QUEUE_NOT_FOUND');
    await refused('DELETE', '/api/queues/nope', ADMIN, 404, 'QUEUE_NOT_FOUND');
    await refused('GET', '/api/queues?x=1', ADMIN, 400, 'BAD_QUERY');
    await refused('GET', '/api/queues/billing/stats?since=yesterday', ADMIN, 400, 'BAD_QUERY');
    await refused('GET', '/api/queues/billing/stats?from=0', ADMIN, 400, 'BAD_QUERY');
  });

  it('PUT creates (201) and replaces (200) a queue, names the wrong field, and routes the queue at once', async () => {
    expect(await refused('PUT', '/api/queues/support', ADMIN, 400, 'BAD_QUEUE', { name: 'Support', wrapUp: -1 })).toMatch(/wrapUp/);
    expect(await refused('PUT', '/api/queues/support', ADMIN, 400, 'BAD_QUEUE', { name: 'Support', colour: 'red' })).toMatch(/colour/);
    expect(await refused('PUT', '/api/queues/support', ADMIN, 400, 'BAD_QUEUE', { mode: 'auto' })).toMatch(/name/);
    expect(await refused('PUT', '/api/queues/support', ADMIN, 400, 'BAD_QUEUE', '{"name":')).toMatch(/JSON/);
    expect(await refused('PUT', '/api/queues/support', ADMIN, 400, 'BAD_QUEUE', [1])).toMatch(/object/);
    expect(await refused('PUT', '/api/queues/bad%20id', ADMIN, 400, 'BAD_QUEUE', { name: 'x' })).toMatch(/id/);
    await refused('GET', '/api/queues/support', ADMIN, 404, 'QUEUE_NOT_FOUND');

    const created = await send<{ id: string; definition: QueueView['definition'] }>(server, 'PUT', '/api/queues/support', ADMIN, { name: 'Support', mode: 'manual' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: 'support', definition: expect.objectContaining({ name: 'Support', mode: 'manual', wrapUp: 10 }) });
    await everyNode('support', 200);

    // A manual queue offers nobody; made auto, the waiting customer goes to the available agent at once.
    const bob = await agent('p-bob', ['support']);
    const customer = await connect('p-cust');
    await enterQueue(customer, 'support');
    const replaced = await send<{ id: string }>(server, 'PUT', '/api/queues/support', ADMIN, { name: 'Support desk', mode: 'auto', wrapUp: 0 });
    expect(replaced.status).toBe(200);
    await answerOffer(bob, customer);
    await hangUp(customer, bob);
    const answer = await apiGet<QueueView>(server, '/api/queues/support', ADMIN);
    expect(answer.body.definition).toMatchObject({ name: 'Support desk', mode: 'auto', wrapUp: 0 });
  });

  it('DELETE removes a queue and closes its waiting customers; one in a call is served to its end', async () => {
    await put('closing', { name: 'Closing', wrapUp: 0 });
    const anna = await agent('d-anna', ['closing']);
    const talking = await connect('d-talking');
    await enterQueue(talking, 'closing');
    await answerOffer(anna, talking);
    const waiting: WireUser[] = [];
    for (let i = 0; i < 3; i++) {
      const customer = await connect(`d-wait-${i}`);
      await enterQueue(customer, 'closing');
      waiting.push(customer);
    }
    const deleted = await send<{ id: string; deleted: boolean; closed: number }>(server, 'DELETE', '/api/queues/closing', ADMIN);
    expect(deleted).toMatchObject({ status: 200, body: { id: 'closing', deleted: true, closed: 3 } });
    for (const customer of waiting) expect(await customer.entry('ended')).toMatchObject({ outcome: 'closed' });
    await refused('GET', '/api/queues/closing', ADMIN, 404, 'QUEUE_NOT_FOUND');
    await everyNode('closing', 404);
    const late = await connect('d-late');
    await expect(late.request({ type: 'queue.enter', queue: 'closing' })).rejects.toThrow(/refused/);
    await hangUp(talking, anna);
    await waitUntil('the closed entries in the records', async () => {
      const page = await apiGet<{ entries: QueueEntryView[] }>(server, '/api/queue-entries?queue=closing', ADMIN);
      const outcomes = page.body.entries.map((e) => e.outcome).sort();
      return JSON.stringify(outcomes) === JSON.stringify(['closed', 'closed', 'closed', 'served']);
    });
  });

  it('stats: live figures now, and entered, served, abandoned, waits, handle time and service level from the records', async () => {
    const since = Date.now();
    await put('stats', { name: 'Stats', wrapUp: 0, serviceLevel: 60 });
    const anna = await agent('s-anna', ['stats']);
    for (let i = 0; i < 3; i++) {
      const customer = await connect(`s-served-${i}`);
      await enterQueue(customer, 'stats');
      await answerOffer(anna, customer);
      await hangUp(customer, anna);
      await anna.agentStatus('available');
    }
    await anna.request({ type: 'agent.status', status: 'away', reason: 'lunch' });
    const leaver = await connect('s-leaver');
    await enterQueue(leaver, 'stats');
    await leaver.request({ type: 'queue.leave' });
    const waiter = await connect('s-waiter');
    await enterQueue(waiter, 'stats');

    const entries = async (): Promise<QueueEntryView[]> => (await apiGet<{ entries: QueueEntryView[] }>(server, '/api/queue-entries?queue=stats', ADMIN)).body.entries;
    await waitUntil('four ended entries in the records', async () => (await entries()).filter((e) => e.outcome !== null).length === 4);
    const served = (await entries()).filter((e) => e.outcome === 'served');
    let calls: CallRecordView[] = [];
    await waitUntil('the served calls\u2019 ends in the records', async () => {
      calls = await Promise.all(served.map(async (e) => (await apiGet<CallRecordView>(server, `/api/calls/${e.callId}`, ADMIN)).body));
      return calls.every((call) => call.durationMs !== null);
    });

    const stats = await apiGet<QueueStatsView>(server, `/api/queues/stats/stats?since=${since}`, supervisor);
    expect(stats.status, JSON.stringify(stats.body)).toBe(200);
    const mean = (values: number[]): number => Math.round(values.reduce((a, b) => a + b, 0) / values.length);
    expect(stats.body).toEqual({
      id: 'stats',
      since: new Date(since).toISOString(),
      serviceLevelTarget: 60,
      live: { waiting: 1, longestWaitMs: expect.any(Number), agents: { offline: 0, available: 0, offered: 0, talking: 0, 'wrap-up': 0, away: 1 } },
      records: {
        entered: 5,
        served: 3,
        abandoned: 1,
        timeout: 0,
        closed: 0,
        transferred: 0,
        averageWaitMs: mean(served.map((e) => e.waitedMs!)),
        averageHandleMs: mean(calls.map((c) => c.durationMs!)),
        serviceLevel: 3 / 4, // all three answered within 60 s; the one who left counts against
        answeredInTarget: 3,
        ended: 4,
      },
    });
    const iso = await apiGet<QueueStatsView>(server, `/api/queues/stats/stats?since=${new Date(since).toISOString()}`, ADMIN);
    expect(iso.body.records).toEqual(stats.body.records);
    const today = await apiGet<QueueStatsView>(server, '/api/queues/stats/stats', ADMIN);
    expect(Date.parse(today.body.since) % 86_400_000).toBe(0);
    const later = await apiGet<QueueStatsView>(server, `/api/queues/stats/stats?since=${Date.now() + 60_000}`, ADMIN);
    expect(later.body.records).toMatchObject({ entered: 0, ended: 0, serviceLevel: null, averageWaitMs: null, averageHandleMs: null });
    await waiter.request({ type: 'queue.leave' });
  });
});
