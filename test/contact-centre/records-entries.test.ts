/**
 * Queue entry records and the queue side of call records, over real servers and sockets, on
 * SQLite and PostgreSQL (on Redis and three nodes: PostgreSQL, the database a cluster shares).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/protocol';
import type { CallRecordView, QueueEntryView } from '@callgate/server';
import { DATABASE_KINDS, freshDatabase, type TestDatabase } from '../support/databases.js';
import { apiGet, type ApiErrorBody } from '../support/history.js';
import { answerOffer, availableAgent, enterQueue, hangUp, tokenFor, WireUser } from '../support/queue-wire.js';
import { startTestServer, topology, waitUntil, type TestServer } from '../support/servers.js';

const ADMIN = 'records-entries-admin';
const kinds = topology === 'memory' ? DATABASE_KINDS : (['postgres'] as const);
const users: WireUser[] = [];

interface EntryPage {
  entries: QueueEntryView[];
  next: string | null;
}

afterEach(() => {
  users.splice(0).forEach((user) => user.close());
});

async function connect(server: TestServer, userId: string, claims?: Record<string, unknown>): Promise<WireUser> {
  const user = await WireUser.connect(server, userId, claims);
  users.push(user);
  return user;
}

async function agent(server: TestServer, userId: string, queues: string[]): Promise<WireUser> {
  const user = await availableAgent(server, userId, queues);
  users.push(user);
  return user;
}

const ms = (iso: string | null): number => (iso === null ? NaN : Date.parse(iso));

describe.each(kinds)('queue entry records in %s', (kind) => {
  let database: TestDatabase;
  let server: TestServer;

  const entriesOf = async (query: string, credential = ADMIN): Promise<QueueEntryView[]> => {
    const page = await apiGet<EntryPage>(server, `/api/queue-entries?${query}`, credential);
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    return page.body.entries;
  };
  /**
   * The record of an entry once it has ended. A read waits for this node's queued records; in a
   * cluster the node that decided a step writes it, a few milliseconds later.
   */
  const entryOf = async (entryId: string): Promise<QueueEntryView> => {
    let entry: QueueEntryView | undefined;
    await waitUntil(`the record of entry ${entryId} to end`, async () => {
      const answer = await apiGet<QueueEntryView>(server, `/api/queue-entries/${entryId}`, ADMIN);
      entry = answer.body;
      return answer.status === 200 && answer.body.outcome !== null;
    });
    return entry!;
  };
  /** The record of a call once `ready` holds for it (see entryOf). */
  const callOf = async (callId: string, ready: (call: CallRecordView) => boolean): Promise<CallRecordView> => {
    let call: CallRecordView | undefined;
    await waitUntil(`the record of call ${callId}`, async () => {
      const answer = await apiGet<CallRecordView>(server, `/api/calls/${callId}`, ADMIN);
      call = answer.body;
      return answer.status === 200 && ready(answer.body);
    });
    return call!;
  };

  beforeAll(async () => {
    database = await freshDatabase(kind);
    const queues = ['served', 'refused', 'left', 'moved', 'moved-to', 'paged'].map((id) => ({ id, name: id, wrapUp: 30 }));
    server = await startTestServer({ db: database.db, adminKey: ADMIN, graceMs: 300, queues });
  });

  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('served, wrapped up and rated: the entry record, and the call record with its queue, entry, disposition, notes and rating', async () => {
    const anna = await agent(server, 'rs-anna', ['served']);
    const customer = await connect(server, 'rs-cust');
    const entryId = await enterQueue(customer, 'served', 'order #7');
    const callId = await answerOffer(anna, customer);
    await hangUp(customer, anna);
    await anna.agentStatus('wrap-up');
    await anna.request({ type: 'agent.wrap-up.end', disposition: 'resolved', notes: 'refund sent' });
    await customer.request({ type: 'call.rate', callId, score: 5, comment: 'quick and kind' });

    const entry = await entryOf(entryId);
    expect(entry).toMatchObject({
      entryId,
      queue: 'served',
      firstQueue: 'served',
      customer: 'rs-cust',
      userStr: 'order #7',
      state: 'ended',
      outcome: 'served',
      agent: 'rs-anna',
      callId,
      transfers: [],
      endedBy: null,
    });
    expect(entry.offers).toEqual([{ agent: 'rs-anna', at: expect.any(String), callId, result: 'accepted' }]);
    expect(entry.waitedMs).toBe(ms(entry.answeredAt) - ms(entry.enteredAt));
    expect(ms(entry.endedAt)).toBeGreaterThanOrEqual(ms(entry.answeredAt));

    const call = await callOf(callId, (c) => c.rating !== null && c.disposition !== null);
    expect(call).toMatchObject({
      caller: 'rs-cust',
      callee: 'rs-anna',
      outcome: 'completed',
      queue: 'served',
      entryId,
      disposition: 'resolved',
      notes: 'refund sent',
      rating: { score: 5, comment: 'quick and kind' },
    });
    expect(ms(call.rating!.ratedAt)).toBeGreaterThanOrEqual(ms(call.endedAt));
  });

  it('a refused offer goes to the next agent: the record keeps both offers with their results', async () => {
    const first = await agent(server, 'rr-first', ['refused']);
    const second = await agent(server, 'rr-second', ['refused']);
    const customer = await connect(server, 'rr-cust');
    const entryId = await enterQueue(customer, 'refused');
    const offer = await first.event(VideoCallEvent.REQUEST, 'the first offer');
    first.send({ type: 'control', event: VideoCallEvent.REPLY, userId: 'rr-cust', errorCode: ErrorCode.REJECT });
    const callId = await answerOffer(second, customer);
    await hangUp(customer, second);
    const entry = await entryOf(entryId);
    expect(entry.offers.map((o) => [o.agent, o.callId, o.result])).toEqual([
      ['rr-first', offer.callId, 'refused'],
      ['rr-second', callId, 'accepted'],
    ]);
    expect(entry).toMatchObject({ outcome: 'served', agent: 'rr-second', callId });
    expect(await callOf(String(offer.callId), (c) => c.outcome !== null)).toMatchObject({ queue: 'refused', entryId, outcome: 'refused', disposition: null, rating: null });
  });

  it('a customer who leaves is abandoned; a transferred one keeps its first queue and the transfer', async () => {
    const leaver = await connect(server, 'rl-cust');
    const leftId = await enterQueue(leaver, 'left');
    await leaver.request({ type: 'queue.leave' });
    const left = await entryOf(leftId);
    expect(left).toMatchObject({ queue: 'left', state: 'ended', outcome: 'abandoned', answeredAt: null, agent: null, offers: [] });
    expect(left.waitedMs).toBe(ms(left.endedAt) - ms(left.enteredAt));

    const anna = await agent(server, 'rt-anna', ['moved']);
    const customer = await connect(server, 'rt-cust');
    const entryId = await enterQueue(customer, 'moved');
    const callId = await answerOffer(anna, customer);
    await anna.request({ type: 'call.transfer', queue: 'moved-to' });
    await customer.entry('waiting');
    await customer.request({ type: 'queue.leave' });
    await customer.entry('ended');
    const moved = await entryOf(entryId);
    expect(moved).toMatchObject({ queue: 'moved-to', firstQueue: 'moved', outcome: 'abandoned', answeredAt: null, agent: 'rt-anna', callId });
    expect(moved.transfers).toEqual([{ at: expect.any(String), by: 'rt-anna', fromQueue: 'moved', toQueue: 'moved-to' }]);
    expect(await callOf(callId, (c) => c.outcome !== null)).toMatchObject({ queue: 'moved', entryId, outcome: 'transferred' });
  });

  it('pages newest first like /api/calls; a user token reads its own entries, a supervisor all', async () => {
    const customers: WireUser[] = [];
    for (let i = 0; i < 4; i++) customers.push(await connect(server, `rp-cust-${i}`));
    const ids: string[] = [];
    for (const customer of customers) {
      ids.push(await enterQueue(customer, 'paged'));
      await customer.request({ type: 'queue.leave' });
      await customer.entry('ended');
    }
    const anna = await agent(server, 'rp-anna', ['paged']);
    const served = await connect(server, 'rp-cust-served');
    const servedId = await enterQueue(served, 'paged');
    await answerOffer(anna, served);
    await hangUp(served, anna);
    ids.push(servedId);
    for (const id of ids) await entryOf(id);

    const seen: string[] = [];
    let before: string | null = null;
    do {
      const page: { status: number; body: EntryPage } = await apiGet<EntryPage>(server, `/api/queue-entries?queue=paged&limit=2${before ? `&before=${before}` : ''}`, ADMIN);
      expect(page.status).toBe(200);
      expect(page.body.entries.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.entries.map((e) => e.entryId));
      before = page.body.next;
    } while (before);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...ids].sort());
    const all = await entriesOf('queue=paged');
    expect(all.map((e) => e.entryId)).toEqual(seen);
    const times = all.map((e) => ms(e.enteredAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    expect((await entriesOf('queue=paged&outcome=served')).map((e) => e.entryId)).toEqual([servedId]);
    expect(await entriesOf('queue=paged&outcome=served,abandoned')).toHaveLength(5);
    expect((await entriesOf('agent=rp-anna')).map((e) => e.entryId)).toEqual([servedId]);

    const own = await tokenFor('rp-cust-1');
    expect((await entriesOf('', own)).map((e) => e.entryId)).toEqual([ids[1]]);
    const annaToken = await tokenFor('rp-anna', { role: 'agent', queues: ['paged'] });
    expect((await entriesOf('', annaToken)).map((e) => e.entryId)).toEqual([servedId]);
    expect((await apiGet<QueueEntryView>(server, `/api/queue-entries/${ids[2]}`, own)).status).toBe(404);
    expect((await apiGet<QueueEntryView>(server, `/api/queue-entries/${ids[1]}`, own)).status).toBe(200);
    const supervisor = await tokenFor('rp-boss', { role: 'supervisor' });
    expect(await entriesOf('queue=paged', supervisor)).toHaveLength(5);

    const refused = async (query: string, credential: string | undefined, status: number, code: string): Promise<void> => {
      const answer = await apiGet<ApiErrorBody>(server, `/api/queue-entries${query}`, credential);
      expect([answer.status, answer.body.error?.code], `${query}: ${JSON.stringify(answer.body)}`).toEqual([status, code]);
    };
    await refused('?customer=rp-cust-2', own, 403, 'FORBIDDEN');
    await refused('', undefined, 401, 'UNAUTHORIZED');
    await refused('?outcome=lost', ADMIN, 400, 'BAD_QUERY');
    await refused('?limit=0', ADMIN, 400, 'BAD_QUERY');
    await refused('?limit=201', ADMIN, 400, 'BAD_QUERY');
    await refused('?user=rp-cust-1', ADMIN, 400, 'BAD_QUERY');
    await refused('?queue=no%20spaces', ADMIN, 400, 'BAD_QUERY');
    await refused('?before=not-a-cursor', ADMIN, 400, 'BAD_CURSOR');
  });

  it('a direct call has the queue fields of its record, all null', async () => {
    const caller = await connect(server, 'rd-caller');
    const callee = await connect(server, 'rd-callee');
    caller.send({ type: 'control', event: VideoCallEvent.REQUEST, userId: 'rd-callee', errorCode: 0 });
    const request = await callee.event(VideoCallEvent.REQUEST);
    callee.send({ type: 'control', event: VideoCallEvent.REPLY, userId: 'rd-caller', errorCode: ErrorCode.REJECT });
    await caller.take((m) => m.type === 'event' && m.event === VideoCallEvent.REPLY && m.errorCode === ErrorCode.REJECT, 'the refusal');
    expect(await callOf(String(request.callId), (c) => c.outcome !== null)).toMatchObject({
      outcome: 'refused',
      queue: null,
      entryId: null,
      disposition: null,
      notes: null,
      rating: null,
    });
  });
});
