/**
 * --records-retention (issue 12 item 8): at start, and then every hour, the call records (their
 * party rows, wrap-ups and ratings with them) and queue entries that ended longer ago than the
 * retention are removed, 500 rows a step; open records and newer ones stay. Bad values are refused,
 * naming the option.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkServerOptions, ServerOptionsError } from '@callgate/server';
import { runCallgate } from '../support/callgate-process.js';
import { DATABASE_KINDS, freshDatabase, type TestDatabase } from '../support/databases.js';
import { allPages } from '../support/history.js';
import { RecordsSql, type SeedCall, type SeedEntry } from '../support/seed-records.js';
import { startTestServer, waitUntil, type TestServer } from '../support/servers.js';

const ADMIN = 'retention-admin-key-0123';
const DAY = 86_400_000;

let database: TestDatabase | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await database?.drop();
  database = undefined;
});

describe.each(DATABASE_KINDS)('records retention on %s', (kind) => {
  it('removes what ended before the retention, in steps, and keeps open and newer records', async () => {
    database = await freshDatabase(kind);
    await (await startTestServer({ db: database.db })).close();
    const now = Date.now();
    const old: SeedCall[] = Array.from({ length: 1_234 }, (_, i) => ({
      call_id: `old-${i}`, caller: 'ret-a', callee: `ret-b${i % 7}`, requested_at: now - 120 * DAY + i, ended_at: now - 120 * DAY + i + 5,
    }));
    const kept: SeedCall[] = [
      { call_id: 'recent', caller: 'ret-a', callee: 'ret-b1', requested_at: now - 10 * DAY, ended_at: now - 10 * DAY + 5 },
      // Requested long ago but ended within the retention: it counts from its end.
      { call_id: 'long-call', caller: 'ret-a', callee: 'ret-b2', requested_at: now - 95 * DAY, ended_at: now - 80 * DAY },
    ];
    const open: SeedCall = { call_id: 'old-open', caller: 'ret-c', callee: 'ret-d', requested_at: now - 200 * DAY, ended_at: null };
    const direct = RecordsSql.open(database);
    await direct.insertCalls([...old, ...kept], true);
    await direct.insertCalls([open], true);
    const entries: SeedEntry[] = [
      ...Array.from({ length: 600 }, (_, i) => ({ entry_id: `old-entry-${i}`, customer: 'ret-a', entered_at: now - 100 * DAY, ended_at: now - 100 * DAY + 1000 })),
      { entry_id: 'new-entry', customer: 'ret-a', entered_at: now - DAY, ended_at: now - DAY + 1000 },
      { entry_id: 'open-entry', customer: 'ret-a', entered_at: now - 100 * DAY, ended_at: null },
    ];
    await direct.insertEntries(entries);
    await direct.run("update call_records set rating_score = 5, rated_at = requested_at where call_id in ('old-1', 'recent')");

    // The open record is closed by recovery at start (it ends now): it stays too.
    server = await startTestServer({ db: database.db, adminKey: ADMIN, recordsRetention: '90d' });
    await waitUntil('the purge at start', async () => (await direct.count('call_records', "call_id like 'old-%' and call_id <> 'old-open'")) === 0, 10_000);
    expect((await allPages(server, '/api/calls?user=ret-a', ADMIN)).map((call) => call.callId).sort()).toEqual(['long-call', 'recent']);
    expect((await allPages(server, '/api/calls?user=ret-c', ADMIN)).map((call) => call.callId)).toEqual(['old-open']);
    expect(await direct.count('call_parties')).toBe(2 * 3);
    await waitUntil('the entries purged', async () => (await direct.count('queue_entries')) === 2, 10_000);
    expect((await direct.rows<{ entry_id: string }>('select entry_id from queue_entries order by entry_id')).map((r) => r.entry_id)).toEqual(['new-entry', 'open-entry']);
    await direct.close();
  });
});

describe('the retention option', () => {
  it('takes 90d, 12h, 30m or milliseconds, and refuses anything else naming the option', () => {
    const base = { secret: 'retention-secret-0123456789' };
    for (const good of ['90d', '12h', '30m', 60_000, ' 7d ']) expect(() => checkServerOptions({ ...base, recordsRetention: good })).not.toThrow();
    for (const bad of ['90', '90x', '0d', '-1d', '1.5d', 'd', '', 59_999, 1.5]) {
      expect(() => checkServerOptions({ ...base, recordsRetention: bad }), JSON.stringify(bad)).toThrow(ServerOptionsError);
      expect(() => checkServerOptions({ ...base, recordsRetention: bad })).toThrow(/recordsRetention .*\(callgate serve: --records-retention\)/);
    }
  });

  it('callgate serve --records-retention refuses a bad value by its flag', async () => {
    const result = await runCallgate(['serve', '--secret', 'retention-secret-0123456789', '--port', '0', '--db', ':memory:', '--records-retention', '3 months']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--records-retention must be a number and a unit, m \(minutes\), h \(hours\) or d \(days\), e\.g\. 90d, 12h, 30m; not "3 months"/);
  });
});
