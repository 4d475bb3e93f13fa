import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import type { CallRecordView, RunningServer } from '@callgate/server';
import { incomingCalls, stepsOf, until } from '../support/calls.js';
import { DATABASE_KINDS, freshDatabase, type TestDatabase } from '../support/databases.js';
import { allPages, apiGet, callRecord } from '../support/history.js';
import { sleep, startTestServer, waitUntil } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

const ADMIN = 'records-admin-key';
const users: TestUser[] = [];

async function connect(server: RunningServer, ...ids: string[]): Promise<TestUser[]> {
  const connected = await Promise.all(ids.map((id) => TestUser.connect(server, id)));
  users.push(...connected);
  return connected;
}

/** The newest record where `caller` called, once it has `outcome` (records are written behind the call). */
async function lastRecordOf(server: RunningServer, caller: string): Promise<CallRecordView> {
  const page = await apiGet(server, `/api/calls?user=${caller}&role=caller&limit=1`, ADMIN);
  expect(page.status).toBe(200);
  const record = page.body.calls[0];
  if (!record) throw new Error(`no record of a call by ${caller}`);
  return record;
}

const ms = (iso: string | null): number => (iso === null ? NaN : Date.parse(iso));

afterEach(async () => {
  await Promise.all(users.splice(0).map((u) => u.close()));
});

describe.each(DATABASE_KINDS)('call records in %s', (kind) => {
  let database: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    database = await freshDatabase(kind);
    server = await startTestServer({ db: database.db, adminKey: ADMIN, ringTimeoutMs: 600, graceMs: 300 });
  });

  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('a call is in its record at every step: requested and ringing, talking, then completed', async () => {
    const [customer, agent] = await connect(server, 'c1-customer', 'c1-agent');
    const calls = incomingCalls(agent!);
    const outgoing = customer!.client.call('c1-agent', { flags: 3, param: 77, userStr: 'order #1234' });
    const steps = stepsOf(outgoing);
    const incoming = await calls.next('incoming call');
    expect(await steps.next('ringing')).toBe('ringing');

    const ringing = await callRecord(server, incoming.callId!, ADMIN);
    expect(ringing).toMatchObject({ phase: 'ringing', caller: 'c1-customer', callee: 'c1-agent', outcome: null, endedAt: null });
    expect(ringing.ringingAt).not.toBeNull();

    await incoming.accept();
    const roomId = Number((await until(steps, 'started')).split(':')[1]);
    const talking = await callRecord(server, incoming.callId!, ADMIN);
    expect(talking).toMatchObject({ phase: 'talking', roomId, endedAt: null, outcome: null });
    expect(talking.startedAt).not.toBeNull();

    await sleep(30);
    await outgoing.hangup();
    expect(await until(steps, 'ended')).toBe('ended:0');
    const done = await callRecord(server, incoming.callId!, ADMIN);
    expect(done).toMatchObject({
      callId: incoming.callId,
      caller: 'c1-customer',
      callee: 'c1-agent',
      flags: 3,
      param: 77,
      userStr: 'order #1234',
      roomId,
      phase: 'ended',
      outcome: 'completed',
      errorCode: 0,
      endedBy: 'c1-customer',
      endedIn: 'talking',
    });
    const [requested, rang, answered, started, ended] = [done.requestedAt, done.ringingAt, done.answeredAt, done.startedAt, done.endedAt].map(ms);
    expect(requested).toBeLessThanOrEqual(rang!);
    expect(rang).toBeLessThanOrEqual(answered!);
    expect(answered).toBe(started);
    expect(ended! - started!).toBe(done.durationMs);
    expect(done.durationMs).toBeGreaterThanOrEqual(25);
  });

  it('refused by the callee: the refusal code, and answeredAt is when the callee refused', async () => {
    const [customer, agent] = await connect(server, 'c2-customer', 'c2-agent');
    const calls = incomingCalls(agent!);
    const steps = stepsOf(customer!.client.call('c2-agent'));
    await (await calls.next('incoming')).reject();
    expect(await until(steps, 'ended')).toBe(`ended:${ErrorCode.REJECT}`);
    const record = await lastRecordOf(server, 'c2-customer');
    expect(record).toMatchObject({ outcome: 'refused', errorCode: ErrorCode.REJECT, endedBy: 'c2-agent', endedIn: 'ringing' });
    expect(record.answeredAt).toBe(record.endedAt);
    expect(record.startedAt).toBeNull();
    expect(record.durationMs).toBeNull();
  });

  it('REQUESTs refused at once have records too: offline, busy, caller-busy, invalid', async () => {
    const [a, b, c] = await connect(server, 'c3-a', 'c3-b', 'c3-c');
    const control = (user: TestUser, event: typeof VideoCallEvent.REQUEST, peer: string): void => {
      expect(user.client.videoCallControl(event, peer)).toBe(0);
    };
    control(a!, VideoCallEvent.REQUEST, 'c3-nobody');
    expect((await a!.events.next('REPLY offline')).errorCode).toBe(ErrorCode.OFFLINE);
    control(a!, VideoCallEvent.REQUEST, 'c3-a');
    expect((await a!.events.next('REPLY self call')).errorCode).toBe(ErrorCode.SELF_CALL);
    control(a!, VideoCallEvent.REQUEST, 'c3-b');
    expect((await b!.events.next('REQUEST')).event).toBe(VideoCallEvent.REQUEST);
    expect((await a!.events.next('REPLY 0')).errorCode).toBe(0);
    control(c!, VideoCallEvent.REQUEST, 'c3-b');
    expect((await c!.events.next('REPLY busy')).errorCode).toBe(ErrorCode.BUSY);
    control(a!, VideoCallEvent.REQUEST, 'c3-c');
    expect((await a!.events.next('REPLY caller busy')).errorCode).toBe(ErrorCode.INCHAT);

    const byA = await allPages(server, '/api/calls?user=c3-a&role=caller', ADMIN);
    const outcomes = Object.fromEntries(byA.map((r) => [r.callee, [r.outcome, r.errorCode, r.endedIn, r.endedBy]]));
    expect(outcomes['c3-nobody']).toEqual(['offline', ErrorCode.OFFLINE, 'requested', 'server']);
    expect(outcomes['c3-a']).toEqual(['invalid', ErrorCode.SELF_CALL, 'requested', 'server']);
    expect(outcomes['c3-c']).toEqual(['caller-busy', ErrorCode.INCHAT, 'requested', 'server']);
    expect(outcomes['c3-b']).toEqual([null, null, null, null]);
    const byC = await lastRecordOf(server, 'c3-c');
    expect(byC).toMatchObject({ callee: 'c3-b', outcome: 'busy', errorCode: ErrorCode.BUSY, ringingAt: null, endedIn: 'requested' });
    for (const record of [...byA.filter((r) => r.outcome !== null), byC]) expect(record.endedAt).toBe(record.requestedAt);
  });

  it('cancelled by the caller, and timeout when nobody answers', async () => {
    const [customer, agent] = await connect(server, 'c4-customer', 'c4-agent');
    const calls = incomingCalls(agent!);
    const first = customer!.client.call('c4-agent');
    const firstSteps = stepsOf(first);
    await calls.next('incoming');
    await until(firstSteps, 'ringing');
    await first.hangup();
    expect(await until(firstSteps, 'ended')).toBe(`ended:${ErrorCode.CANCEL}`);
    expect(await lastRecordOf(server, 'c4-customer')).toMatchObject({
      outcome: 'cancelled',
      errorCode: ErrorCode.CANCEL,
      endedBy: 'c4-customer',
      endedIn: 'ringing',
    });

    const second = stepsOf(customer!.client.call('c4-agent'));
    await calls.next('incoming again');
    expect(await until(second, 'ended')).toBe(`ended:${ErrorCode.TIMEOUT}`);
    const timedOut = await lastRecordOf(server, 'c4-customer');
    expect(timedOut).toMatchObject({ outcome: 'timeout', errorCode: ErrorCode.TIMEOUT, endedBy: 'server', endedIn: 'ringing' });
    expect(ms(timedOut.endedAt) - ms(timedOut.requestedAt)).toBeGreaterThanOrEqual(600);
  });

  it('disconnected: a party that does not come back within the grace period; the billable time ends when it dropped', async () => {
    const [customer, agent] = await connect(server, 'c5-customer', 'c5-agent');
    const calls = incomingCalls(agent!);
    const steps = stepsOf(customer!.client.call('c5-agent'));
    await (await calls.next('incoming')).accept();
    await until(steps, 'started');
    await sleep(40);
    agent!.drop();
    expect(await until(steps, 'ended')).toBe(`ended:${ErrorCode.DISCONNECT}`);
    const record = await lastRecordOf(server, 'c5-customer');
    expect(record).toMatchObject({
      outcome: 'disconnected',
      errorCode: ErrorCode.DISCONNECT,
      endedBy: 'c5-agent',
      endedIn: 'talking',
    });
    // The record ends when the grace period (300 ms) ran out; the talk ended when the agent's socket went.
    expect(record.durationMs).toBeGreaterThanOrEqual(40);
    expect(ms(record.endedAt) - ms(record.startedAt) - record.durationMs!).toBeGreaterThanOrEqual(299);
  });

  it('force-ended by the business side (RunningServer.finishCall)', async () => {
    const [customer, agent] = await connect(server, 'c6-customer', 'c6-agent');
    const calls = incomingCalls(agent!);
    const steps = stepsOf(customer!.client.call('c6-agent'));
    await (await calls.next('incoming')).accept();
    await until(steps, 'started');
    expect(await server.finishCall('c6-agent', 8001, 'supervisor')).toBe(0);
    expect(await until(steps, 'ended')).toBe('ended:8001');
    expect(await lastRecordOf(server, 'c6-customer')).toMatchObject({
      outcome: 'force-ended',
      errorCode: 8001,
      endedBy: 'business',
      endedIn: 'talking',
    });
  });

  it('keeps the largest userStr, and one with a NUL character (stored as U+FFFD)', async () => {
    const [customer] = await connect(server, 'c7-customer');
    const large = 'é'.repeat(512);
    customer!.client.videoCallControl(VideoCallEvent.REQUEST, 'c7-nobody', 0, 0, 4_294_967_295, large);
    expect((await customer!.events.next('REPLY')).errorCode).toBe(ErrorCode.OFFLINE);
    expect(await lastRecordOf(server, 'c7-customer')).toMatchObject({ userStr: large, param: 4_294_967_295, outcome: 'offline' });
    customer!.client.videoCallControl(VideoCallEvent.REQUEST, 'c7-nobody', 0, 0, 0, 'a\u0000b');
    expect((await customer!.events.next('REPLY')).errorCode).toBe(ErrorCode.OFFLINE);
    expect(await lastRecordOf(server, 'c7-customer')).toMatchObject({ userStr: 'a\uFFFDb', outcome: 'offline' });
  });

  it('records survive a restart on the same database, and migrations run once', async () => {
    const [customer] = await connect(server, 'c8-customer');
    customer!.client.videoCallControl(VideoCallEvent.REQUEST, 'c8-nobody');
    await customer!.events.next('REPLY');
    const before = await lastRecordOf(server, 'c8-customer');
    const second = await startTestServer({ db: database.db, adminKey: ADMIN });
    try {
      expect(await callRecord(second, before.callId, ADMIN)).toEqual(before);
    } finally {
      await second.close();
    }
  });
});

describe('when PostgreSQL goes away', () => {
  let database: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    database = await freshDatabase('postgres');
    server = await startTestServer({ db: database.db, adminKey: ADMIN });
  });

  afterAll(async () => {
    await database.admin(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS true`).catch(() => {});
    await server?.close();
    await database?.drop();
  });

  it('calls go on, /readyz says not ready, records wait in the queue and are all written once it is back', async () => {
    const [customer, agent] = await connect(server, 'pg-customer', 'pg-agent');
    await database.admin(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS false`);
    await database.admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${database.name}'`);

    const calls = incomingCalls(agent!);
    const steps = stepsOf(customer!.client.call('pg-agent', { userStr: 'while the database is down' }));
    const incoming = await calls.next('incoming');
    await incoming.accept();
    await until(steps, 'started');
    await incoming.hangup();
    expect(await until(steps, 'ended')).toBe('ended:0');

    const ready = await apiGet<{ status: string; records: boolean }>(server, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'not ready', records: false });
    const metrics = await apiGet<string>(server, '/metrics');
    expect(metrics.body).toMatch(/^callgate_record_queue_depth [1-9]/m);
    const history = await apiGet(server, '/api/calls', ADMIN);
    expect(history.status).toBe(503);
    expect(history.body).toMatchObject({ error: { code: 'RECORDS_UNAVAILABLE' } });

    await database.admin(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS true`);
    let record: CallRecordView | undefined;
    await waitUntil('the record to be written once the database is back', async () => {
      const page = await apiGet(server, '/api/calls?user=pg-customer', ADMIN);
      record = page.status === 200 ? page.body.calls[0] : undefined;
      return record?.outcome === 'completed';
    }, 10_000);
    expect(record).toMatchObject({ callId: incoming.callId, outcome: 'completed', userStr: 'while the database is down' });
    expect(record?.ringingAt).not.toBeNull();
    expect((await apiGet(server, '/readyz')).status).toBe(200);
    expect((await apiGet<string>(server, '/metrics')).body).toMatch(/^callgate_record_queue_depth 0$/m);
  });
});

describe('a records database that cannot be used', () => {
  it('stops the server from starting, with a message that names it', async () => {
    await expect(startTestServer({ db: 'postgres://callgate@127.0.0.1:1/none' })).rejects.toThrow(
      /records database \(PostgreSQL postgres:\/\/callgate@127\.0\.0\.1:1\/none\)/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'callgate-bad-db-'));
    writeFileSync(join(dir, 'a-file'), '');
    try {
      await expect(startTestServer({ db: join(dir, 'a-file', 'records.db') })).rejects.toThrow(/cannot open the records database/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
