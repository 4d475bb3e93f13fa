/**
 * A user's history costs O(page) however long it is (issue 12 item 7): one row per party of each
 * call (call_parties, migration 0006, back-filled from the records an older server wrote), read on
 * one index; and a SQLite file is read from a thread of its own, not on the event loop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAccessToken } from '@callgate/server';
import { CallRecordStore } from '../../packages/server/dist/records/record-store.js';
import { DATABASE_KINDS, freshDatabase, type TestDatabase } from '../support/databases.js';
import { apiGet, type CallPage } from '../support/history.js';
import { RecordsSql, type SeedCall } from '../support/seed-records.js';
import { startTestServer, TEST_SECRET, type TestServer } from '../support/servers.js';

const ADMIN = 'history-scale-admin-key';
const RECORDS = 50_000;
const T0 = Date.parse('2026-06-01T00:00:00Z');

let database: TestDatabase | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await database?.drop();
  database = undefined;
});

/** 50,000 calls of "heavy": every other one as the caller, one a call to itself; plus one call of two others. */
function heavyCalls(): SeedCall[] {
  const calls: SeedCall[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const other = `peer-${i % 300}`;
    const [caller, callee] = i === 777 ? ['heavy', 'heavy'] : i % 2 ? ['heavy', other] : [other, 'heavy'];
    calls.push({ call_id: `call-${String(i).padStart(6, '0')}`, caller, callee, requested_at: T0 + i * 1000, ended_at: T0 + i * 1000 + 10 });
  }
  calls.push({ call_id: 'call-others', caller: 'peer-1', callee: 'peer-2', requested_at: T0 + RECORDS * 1000, ended_at: T0 + RECORDS * 1000 + 10 });
  return calls;
}

describe.each(DATABASE_KINDS)('a long history on %s', (kind) => {
  it('migration 0006 back-fills one party row per party; a user token reads its newest call and pages on', async () => {
    database = await freshDatabase(kind);
    // The schema as a server before 0006 left it, with 50,000 records and no party rows.
    await (await startTestServer({ db: database.db })).close();
    const direct = RecordsSql.open(database);
    await direct.run('drop table call_parties');
    await direct.run('drop index call_records_ended');
    await direct.run('drop index queue_entries_ended');
    await direct.run("delete from callgate_migrations where name = '0006_call_parties'");
    await direct.insertCalls(heavyCalls(), false);

    server = await startTestServer({ db: database.db, adminKey: ADMIN });
    expect(await direct.count('call_parties', "user_id = 'heavy'")).toBe(RECORDS);
    expect(await direct.count('call_parties')).toBe(2 * RECORDS - 1 + 2);
    await direct.close();

    const token = await createAccessToken({ secret: TEST_SECRET, userId: 'heavy', ttlSeconds: 600 });
    const first = await apiGet<CallPage>(server, '/api/calls?limit=1', token);
    expect(first.status).toBe(200);
    expect(first.body.calls.map((c) => c.callId)).toEqual([`call-0${RECORDS - 1}`]);
    const second = await apiGet<CallPage>(server, `/api/calls?limit=3&before=${first.body.next}`, token);
    expect(second.body.calls.map((c) => c.callId)).toEqual(['call-049998', 'call-049997', 'call-049996']);
    // Deep in the history: the self call once, in order.
    const cursor = Buffer.from(JSON.stringify([T0 + 779 * 1000, 'call-000779'])).toString('base64url');
    const deep = await apiGet<CallPage>(server, `/api/calls?limit=3&before=${cursor}`, token);
    expect(deep.body.calls.map((c) => [c.callId, c.caller, c.callee])).toEqual([
      ['call-000778', 'peer-178', 'heavy'],
      ['call-000777', 'heavy', 'heavy'],
      ['call-000776', 'peer-176', 'heavy'],
    ]);
    const asCaller = await apiGet<CallPage>(server, '/api/calls?limit=2&role=caller', token);
    expect(asCaller.body.calls.map((c) => c.callId)).toEqual(['call-049999', 'call-049997']);
    const missed = await apiGet<CallPage>(server, '/api/calls?limit=2&outcome=offline', token);
    expect(missed.body.calls.map((c) => c.callId)).toEqual(['call-049999', 'call-049998']);
    // The admin's newest is everyone's, and nobody else's calls reach heavy.
    expect((await apiGet<CallPage>(server, '/api/calls?limit=1', ADMIN)).body.calls[0]?.callId).toBe('call-others');
  });

  it('the writer writes the party rows of every new call', async () => {
    database = await freshDatabase(kind);
    server = await startTestServer({ db: database.db, adminKey: ADMIN });
    const { TestUser } = await import('../support/test-user.js');
    const caller = await TestUser.connect(server, 'writer-a');
    try {
      caller.client.videoCallControl(1, 'writer-offline');
      await caller.events.next('REPLY offline');
      const token = await createAccessToken({ secret: TEST_SECRET, userId: 'writer-offline', ttlSeconds: 600 });
      // The callee's own history finds it through its party row.
      let page: CallPage = { calls: [], next: null };
      for (let i = 0; i < 50 && page.calls.length === 0; i++) page = (await apiGet<CallPage>(server, '/api/calls', token)).body;
      expect(page.calls.map((c) => [c.caller, c.callee, c.outcome])).toEqual([['writer-a', 'writer-offline', 'offline']]);
    } finally {
      await caller.close();
    }
  });
});

describe('where reads run', () => {
  it('a SQLite file is read from a read-only connection of a thread of its own; in memory on the database itself', async () => {
    database = await freshDatabase('sqlite');
    const file = await CallRecordStore.open(database.db);
    try {
      expect(file.reads).not.toBe(file.database);
      await file.write([{ call_id: 'r1', caller: 'a', callee: 'b', flags: 0, param: 0, user_str: '', room_id: null, phase: 'ended', node: 'n',
        requested_at: 1, ringing_at: null, answered_at: null, started_at: null, ended_at: 2, duration_ms: null, outcome: 'offline', error_code: 100102,
        ended_by: 'server', ended_in: 'requested', updated_at: 2, queue: null, entry_id: null, pushed: null, woke_after_ms: null, answered_on: null }]);
      expect((await file.list({ user: 'b', limit: 5 })).map((row) => row.call_id)).toEqual(['r1']);
      await expect(file.reads.deleteFrom('call_records').execute()).rejects.toThrow(/only reads|readonly/);
    } finally {
      await file.close();
    }
    const memory = await CallRecordStore.open(':memory:');
    expect(memory.reads).toBe(memory.database);
    await memory.close();
  });
});
