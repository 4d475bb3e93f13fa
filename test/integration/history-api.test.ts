import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import { createAccessToken, type RunningServer } from '@callgate/server';
import { incomingCalls, stepsOf, until } from '../support/calls.js';
import { DATABASE_KINDS, freshDatabase, type TestDatabase } from '../support/databases.js';
import { allPages, apiGet, type ApiErrorBody } from '../support/history.js';
import { sleep, startTestServer, TEST_SECRET } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

const ADMIN = 'history-admin-key';
const token = (userId: string, ttlSeconds = 600): Promise<string> => createAccessToken({ secret: TEST_SECRET, userId, ttlSeconds });

describe.each(DATABASE_KINDS)('the history API on %s', (kind) => {
  let database: TestDatabase;
  let server: RunningServer;
  let agentToken: string;
  let completedCallId: string;

  /**
   * The calls every test reads: a customer calls the agent (completed), the agent calls back
   * (completed), the customer calls the agent twice more (refused, timeout), then seven users
   * who are offline.
   */
  beforeAll(async () => {
    database = await freshDatabase(kind);
    server = await startTestServer({ db: database.db, adminKey: ADMIN, ringTimeoutMs: 400 });
    const customer = await TestUser.connect(server, 'customer');
    const agent = await TestUser.connect(server, 'agent');
    const incoming = incomingCalls(agent);
    const toCustomer = incomingCalls(customer);

    const first = stepsOf(customer.client.call('agent', { userStr: 'first' }));
    const answered = await incoming.next('first call');
    await answered.accept();
    await until(first, 'started');
    await answered.hangup();
    await until(first, 'ended');
    completedCallId = answered.callId!;

    const back = stepsOf(agent.client.call('customer', { userStr: 'call back' }));
    const callBack = await toCustomer.next('call back');
    await callBack.accept();
    await until(back, 'started');
    await callBack.hangup();
    await until(back, 'ended');

    const second = stepsOf(customer.client.call('agent', { userStr: 'second' }));
    await (await incoming.next('second call')).reject();
    await until(second, 'ended');

    const third = stepsOf(customer.client.call('agent', { userStr: 'third' }));
    const unanswered = stepsOf(await incoming.next('third call'));
    expect(await until(third, 'ended')).toBe(`ended:${ErrorCode.TIMEOUT}`);
    expect(await until(unanswered, 'ended')).toBe(`ended:${ErrorCode.TIMEOUT}`);

    customer.events.clear();
    for (let i = 1; i <= 7; i++) {
      customer.client.videoCallControl(VideoCallEvent.REQUEST, `offline-${i}`, 0, 0, i);
      expect((await customer.events.next(`REPLY from offline-${i}`)).errorCode).toBe(ErrorCode.OFFLINE);
      await sleep(2); // records are ordered by their millisecond: keep the calls apart
    }
    await customer.close();
    await agent.close();
    agentToken = await token('agent');
  });

  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('the admin pages through every call, newest first, without gaps or repeats', async () => {
    const all = await apiGet(server, '/api/calls?limit=200', ADMIN);
    expect(all.status).toBe(200);
    expect(all.body.next).toBeNull();
    expect(all.body.calls).toHaveLength(11);
    const times = all.body.calls.map((c) => Date.parse(c.requestedAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(all.body.calls[0]).toMatchObject({ callee: 'offline-7', param: 7, outcome: 'offline' });
    expect(all.body.calls.at(-1)).toMatchObject({ userStr: 'first', outcome: 'completed' });

    const first = await apiGet(server, '/api/calls?limit=4', ADMIN);
    expect(first.body.calls).toHaveLength(4);
    expect(first.body.next).toEqual(expect.any(String));
    const paged = await allPages(server, '/api/calls?limit=4', ADMIN);
    expect(paged.map((c) => c.callId)).toEqual(all.body.calls.map((c) => c.callId));
  });

  it('filters by user, role and outcome', async () => {
    const agentCalls = await allPages(server, '/api/calls?user=agent&limit=2', ADMIN);
    expect(agentCalls.map((c) => c.userStr)).toEqual(['third', 'second', 'call back', 'first']);
    const asCaller = await allPages(server, '/api/calls?user=agent&role=caller', ADMIN);
    expect(asCaller.map((c) => c.userStr)).toEqual(['call back']);
    const offline = await allPages(server, '/api/calls?outcome=offline&limit=3', ADMIN);
    expect(offline).toHaveLength(7);
    const endedBadly = await allPages(server, '/api/calls?user=customer&outcome=refused,timeout', ADMIN);
    expect(endedBadly.map((c) => c.outcome)).toEqual(['timeout', 'refused']);
  });

  it('missed calls: those the user was called in and did not take', async () => {
    const missed = await apiGet(server, '/api/calls?missed=true', agentToken);
    expect(missed.status).toBe(200);
    expect(missed.body.calls.map((c) => [c.caller, c.outcome])).toEqual([
      ['customer', 'timeout'],
      ['customer', 'refused'],
    ]);
    const customerMissed = await apiGet(server, '/api/calls?missed=true', await token('customer'));
    expect(customerMissed.body.calls).toEqual([]);
    const offlineMissed = await apiGet(server, '/api/calls?missed=true&user=offline-3', ADMIN);
    expect(offlineMissed.body.calls.map((c) => c.param)).toEqual([3]);
  });

  it('a user token reads only its own calls', async () => {
    const own = await allPages(server, '/api/calls', agentToken);
    expect(own).toHaveLength(4);
    expect(own.every((c) => c.caller === 'agent' || c.callee === 'agent')).toBe(true);
    const named = await apiGet(server, '/api/calls?user=agent', agentToken);
    expect(named.body.calls).toHaveLength(4);

    const other = await apiGet<ApiErrorBody>(server, '/api/calls?user=customer', agentToken);
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('FORBIDDEN');

    expect((await apiGet(server, `/api/calls/${completedCallId}`, agentToken)).body).toMatchObject({
      callId: completedCallId,
      outcome: 'completed',
    });
    const offlineCall = (await apiGet(server, '/api/calls?outcome=offline&limit=1', ADMIN)).body.calls[0]!;
    const hidden = await apiGet<ApiErrorBody>(server, `/api/calls/${offlineCall.callId}`, agentToken);
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe('NOT_FOUND');
    expect((await apiGet(server, `/api/calls/${offlineCall.callId}`, ADMIN)).status).toBe(200);
    expect((await apiGet<ApiErrorBody>(server, '/api/calls/no-such-call', ADMIN)).status).toBe(404);
  });

  it('refuses readers without valid credentials', async () => {
    const none = await apiGet<ApiErrorBody>(server, '/api/calls');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(none.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/Authorization: Bearer/) });
    const wrongKey = await apiGet<ApiErrorBody>(server, '/api/calls', 'not-the-admin-key');
    expect([wrongKey.status, wrongKey.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    const otherSecret = await createAccessToken({ secret: 'another-secret', userId: 'agent' });
    expect((await apiGet<ApiErrorBody>(server, '/api/calls', otherSecret)).body.error.code).toBe('UNAUTHORIZED');
    const expired = await apiGet<ApiErrorBody>(server, '/api/calls', await token('agent', -10));
    expect([expired.status, expired.body.error.code]).toEqual([401, 'TOKEN_EXPIRED']);
    const byId = await apiGet<ApiErrorBody>(server, `/api/calls/${completedCallId}`);
    expect(byId.status).toBe(401);
  });

  it('answers bad queries with 400 and a code', async () => {
    const bad = async (query: string): Promise<[number, string]> => {
      const answer = await apiGet<ApiErrorBody>(server, `/api/calls?${query}`, ADMIN);
      return [answer.status, answer.body.error.code];
    };
    expect(await bad('limit=0')).toEqual([400, 'BAD_QUERY']);
    expect(await bad('limit=201')).toEqual([400, 'BAD_QUERY']);
    expect(await bad('limit=ten')).toEqual([400, 'BAD_QUERY']);
    expect(await bad('outcome=complted')).toEqual([400, 'BAD_QUERY']);
    expect(await bad('user=a%20b')).toEqual([400, 'BAD_QUERY']);
    expect(await bad('role=callee')).toEqual([400, 'BAD_QUERY']);
    expect(await bad('missed=yes')).toEqual([400, 'BAD_QUERY']);
    expect(await bad('missed=true&outcome=completed')).toEqual([400, 'BAD_QUERY']);
    expect(await bad('limit=1&limit=2')).toEqual([400, 'BAD_QUERY']);
    expect(await bad('before=not-a-cursor')).toEqual([400, 'BAD_CURSOR']);
    expect(await bad(`before=${Buffer.from('["x","y"]').toString('base64url')}`)).toEqual([400, 'BAD_CURSOR']);
  });
});

describe('a server without --admin-key', () => {
  it('has no admin access, and users still read their own calls', async () => {
    const server = await startTestServer();
    try {
      const empty = await apiGet<ApiErrorBody>(server, '/api/calls', '');
      expect(empty.status).toBe(401);
      expect((await apiGet<ApiErrorBody>(server, '/api/calls', 'undefined')).status).toBe(401);
      const own = await apiGet(server, '/api/calls', await token('someone'));
      expect(own.status).toBe(200);
      expect(own.body).toEqual({ calls: [], next: null });
    } finally {
      await server.close();
    }
  });
});
