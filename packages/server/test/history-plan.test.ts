/**
 * Every shape of a history page is one range of one index (issue 12 item 7): SQLite's query plan
 * of each, on a user with 20,000 calls, searches an index and sorts nothing (no "TEMP B-TREE",
 * no "MULTI-INDEX OR", no full scan), so a page costs O(limit). No timing: the plan says it.
 */
import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallRecordStore, historyQuery, type RecordQuery } from '../src/records/record-store.js';
import type { CallRecordRow } from '../src/records/schema.js';

let store: CallRecordStore;

const row = (i: number): CallRecordRow => ({
  call_id: `c${String(i).padStart(6, '0')}`, caller: i % 2 ? 'heavy' : `p${i % 97}`, callee: i % 2 ? `p${i % 97}` : 'heavy', flags: 0, param: 0,
  user_str: '', room_id: null, phase: 'ended', node: 'n', requested_at: 1_000_000 + i, ringing_at: null, answered_at: null, started_at: null,
  ended_at: 1_000_010 + i, duration_ms: null, outcome: i % 3 ? 'offline' : 'completed', error_code: 0, ended_by: 'server', ended_in: 'requested',
  updated_at: 1_000_010 + i, queue: null, entry_id: null, pushed: null, woke_after_ms: null, answered_on: null,
});

beforeAll(async () => {
  store = await CallRecordStore.open(':memory:');
  const rows = Array.from({ length: 20_000 }, (_, i) => row(i));
  for (let i = 0; i < rows.length; i += 1000) await store.write(rows.slice(i, i + 1000));
});
afterAll(async () => {
  await store.close();
});

async function planOf(query: RecordQuery): Promise<string[]> {
  const compiled = historyQuery(store.database, query).compile();
  const result = await store.database.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]));
  return result.rows.map((r) => r.detail);
}

const after = { requestedAt: 1_010_000, callId: 'c010000' };

describe('the plan of a history page', () => {
  it.each<[string, RecordQuery, RegExp]>([
    ["a user's calls", { user: 'heavy', limit: 2 }, /call_parties_user \(user_id=\?\)/],
    ["a user's calls after a cursor", { user: 'heavy', limit: 2, after }, /call_parties_user \(user_id=\? AND \(requested_at,call_id\)<\(\?,\?\)\)/],
    ['as caller, after a cursor', { user: 'heavy', role: 'caller', limit: 2, after }, /call_records_caller \(caller=\? AND \(requested_at,call_id\)<\(\?,\?\)\)/],
    ['as callee', { user: 'heavy', role: 'callee', limit: 2 }, /call_records_callee \(callee=\?\)/],
    ["everyone's, after a cursor", { limit: 2, after }, /call_records_newest/],
  ])('%s: one index range, nothing sorted', async (_name, query, index) => {
    const plan = (await planOf(query)).join(' | ');
    expect(plan).toMatch(index);
    expect(plan).not.toMatch(/TEMP B-TREE|MULTI-INDEX OR|SCAN call_records(?! USING)|SCAN p(?! USING)/);
  });

  it('answers pages in order, each call once', async () => {
    const first = await store.list({ user: 'heavy', limit: 3 });
    expect(first.map((r) => r.call_id)).toEqual(['c019999', 'c019998', 'c019997']);
    const next = await store.list({ user: 'heavy', limit: 2, after: { requestedAt: first[2]!.requested_at, callId: first[2]!.call_id } });
    expect(next.map((r) => r.call_id)).toEqual(['c019996', 'c019995']);
    expect((await store.list({ user: 'heavy', outcomes: ['completed'], limit: 2 })).map((r) => r.call_id)).toEqual(['c019998', 'c019995']);
  });
});
