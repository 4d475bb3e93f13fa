/**
 * What the records say about a REQUEST that found no device of its callee (docs/records.md,
 * `pushed`, `woke_after_ms`, `answered_on`), on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/protocol';
import type { CallRecordView } from '@callgate/server';
import { DATABASE_KINDS, freshDatabase, type TestDatabase } from '../support/databases.js';
import { callRecord } from '../support/history.js';
import { serversPerTest, sleep, waitUntil, type TestServer } from '../support/servers.js';
import { TestBusiness } from '../support/test-business.js';
import { WireUser } from '../support/wire-user.js';
import { rawUser } from '../support/raw-user.js';

const { REQUEST, REPLY, FINISH } = VideoCallEvent;
const ADMIN = 'push-records-admin-key';
const tests = serversPerTest<{ close(): unknown }>();

async function endedRecord(server: TestServer, callId: string): Promise<CallRecordView> {
  let record: CallRecordView | undefined;
  await waitUntil(`the record of ${callId} to end`, async () => {
    record = await callRecord(server, callId, ADMIN).catch(() => undefined);
    return record?.outcome != null;
  });
  return record!;
}

describe.each(DATABASE_KINDS)('records of calls that waited for a device, in %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase(kind);
  });
  afterAll(async () => {
    await database.drop();
  });

  async function start(offlineWaitMs: number, push: boolean): Promise<{ server: TestServer; alice: WireUser }> {
    const server = await tests.start({ db: database.db, adminKey: ADMIN, offlineWaitMs, graceMs: 5000 });
    if (push) tests.opened.push(await TestBusiness.connect(server, 'push-hook', { push: true }));
    const alice = await WireUser.connect(server, 'alice');
    tests.opened.push(alice);
    return { server, alice };
  }

  it('a pushed callee that came: pushed, wokeAfterMs, and the device that answered', async () => {
    const { server, alice } = await start(10_000, true);
    alice.socket.send({ type: 'control', event: REQUEST, userId: 'bob' });
    const waking = await alice.waitFor('waking', (m) => m.type === 'waking');
    await sleep(800);
    const bob = await rawUser(server, 'bob');
    tests.opened.push(bob);
    // rawUser signs in without a deviceId: the device is "default".
    await bob.next('REQUEST');
    bob.send({ type: 'control', event: REPLY, userId: 'alice', errorCode: 0 });
    await alice.event(REPLY);
    await alice.hangUp('bob');
    const record = await endedRecord(server, String(waking.callId));
    expect(record).toMatchObject({ outcome: 'completed', pushed: true, answeredOn: 'default' });
    expect(record.wokeAfterMs).toBeGreaterThanOrEqual(700);
    expect(record.wokeAfterMs).toBeLessThan(5000);
  });

  it('a pushed callee that never came: offline, pushed, no wokeAfterMs', async () => {
    const { server, alice } = await start(500, true);
    alice.socket.send({ type: 'control', event: REQUEST, userId: 'bob' });
    const waking = await alice.waitFor('waking', (m) => m.type === 'waking');
    expect(await alice.event(REPLY)).toMatchObject({ errorCode: ErrorCode.OFFLINE });
    expect(await endedRecord(server, String(waking.callId))).toMatchObject({ outcome: 'offline', pushed: true, wokeAfterMs: null, errorCode: ErrorCode.OFFLINE });
  });

  it('a caller that gave up during the wait: cancelled, pushed', async () => {
    const { server, alice } = await start(10_000, true);
    alice.socket.send({ type: 'control', event: REQUEST, userId: 'bob' });
    const waking = await alice.waitFor('waking', (m) => m.type === 'waking');
    await alice.hangUp('bob');
    await alice.event(FINISH);
    expect(await endedRecord(server, String(waking.callId))).toMatchObject({ outcome: 'cancelled', pushed: true, wokeAfterMs: null });
  });

  it('without a push hook, a callee whose device dropped is waited for until its grace period ends: pushed false', async () => {
    const { server, alice } = await start(10_000, false);
    const bob = await rawUser(server, 'bob');
    bob.socket.terminate();
    await sleep(200);
    alice.socket.send({ type: 'control', event: REQUEST, userId: 'bob' });
    const waking = await alice.waitFor('waking', (m) => m.type === 'waking');
    expect(waking).toMatchObject({ pushed: false });
    await alice.hangUp('bob');
    expect(await endedRecord(server, String(waking.callId))).toMatchObject({ outcome: 'cancelled', pushed: false });
  });

  it('a callee with a device to ring: pushed null', async () => {
    const { server, alice } = await start(10_000, true);
    const bob = await rawUser(server, 'bob');
    tests.opened.push(bob);
    alice.socket.send({ type: 'control', event: REQUEST, userId: 'bob' });
    const reply = await alice.event(REPLY);
    await alice.hangUp('bob');
    expect(await endedRecord(server, String(reply.callId))).toMatchObject({ outcome: 'cancelled', pushed: null, wokeAfterMs: null });
  });
});
