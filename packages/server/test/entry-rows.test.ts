/** The queue entry rows a transition writes, how rows of one entry merge, and how a batch is grouped: pure. */
import { describe, expect, it } from 'vitest';
import type { EntryRecord, QueueTransition } from '../src/queues/types.js';
import { entryRowOf, mergeEntryRows, replaces, wrapUpPatchOf } from '../src/records/entry-rows.js';
import { batchOf } from '../src/records/record-batch.js';
import type { CallRecordRow } from '../src/records/schema.js';

const entry = (changes: Partial<EntryRecord> = {}): EntryRecord => ({
  entryId: 'e1',
  queue: 'billing',
  customer: 'cust',
  device: 'default',
  priority: 5,
  enteredAt: 1_000,
  queuedAt: 1_000,
  state: 'waiting',
  flags: 3,
  param: 0,
  userStr: 'order\u00001',
  tried: [],
  offers: [],
  transfers: [],
  version: 1,
  ...changes,
});

describe('entryRowOf', () => {
  it('an entered entry: a whole open row, nothing waited yet, NUL stored as U+FFFD', () => {
    const row = entryRowOf({ type: 'entered', entry: entry(), at: 1_000 }, 'node-a');
    expect(row).toEqual({
      entry_id: 'e1',
      queue: 'billing',
      first_queue: 'billing',
      customer: 'cust',
      priority: 5,
      flags: 3,
      user_str: 'order\uFFFD1',
      state: 'waiting',
      entered_at: 1_000,
      queued_at: 1_000,
      answered_at: null,
      ended_at: null,
      waited_ms: null,
      outcome: null,
      agent: null,
      call_id: null,
      offers: '[]',
      transfers: '[]',
      node: 'node-a',
      version: 1,
      updated_at: 1_000,
      ended_by: null,
    });
  });

  it('waited_ms is answered − entered for an answered entry, ended − entered for one nobody answered', () => {
    const offers = [{ agent: 'anna', at: 2_000, callId: 'c1', result: 'accepted' as const }];
    const answered = entry({ state: 'connected', answeredAt: 4_500, agent: 'anna', callId: 'c1', offers, version: 3 });
    expect(entryRowOf({ type: 'answered', entry: answered, at: 4_500, agent: 'anna', callId: 'c1' }, 'n')).toMatchObject({
      state: 'connected',
      answered_at: 4_500,
      waited_ms: 3_500,
      agent: 'anna',
      call_id: 'c1',
    });
    expect(entryRowOf({ type: 'ended', entry: { ...answered, version: 4 }, at: 90_000, outcome: 'served' }, 'n')).toMatchObject({
      state: 'ended',
      outcome: 'served',
      ended_at: 90_000,
      waited_ms: 3_500,
    });
    expect(entryRowOf({ type: 'ended', entry: entry(), at: 7_000, outcome: 'abandoned' }, 'n')).toMatchObject({ waited_ms: 6_000, answered_at: null });
  });

  it('after a transfer: the first queue stays, and the agent is the last one that answered until another takes it', () => {
    const transferred = entry({
      queue: 'tech',
      queuedAt: 9_000,
      version: 5,
      offers: [{ agent: 'anna', at: 2_000, callId: 'c1', result: 'accepted' }],
      transfers: [{ at: 9_000, by: 'anna', fromQueue: 'billing', toQueue: 'tech' }],
    });
    const row = entryRowOf({ type: 'transferred', entry: transferred, at: 9_000, by: 'anna', fromQueue: 'billing', toQueue: 'tech' }, 'n');
    expect(row).toMatchObject({ queue: 'tech', first_queue: 'billing', queued_at: 9_000, state: 'waiting', agent: 'anna', call_id: 'c1' });
    expect(JSON.parse(row!.transfers)).toEqual(transferred.transfers);
  });

  it('agent statuses write no entry row; a wrap-up is a patch of its call', () => {
    expect(entryRowOf({ type: 'agent-status', at: 1, agent: 'anna', status: 'available' }, 'n')).toBeUndefined();
    const wrapUp = { type: 'wrapped-up' as const, at: 50, agent: 'anna', customer: 'cust', callId: 'c1', entryId: 'e1', queue: 'billing', disposition: 'resolved', notes: 'ok' } satisfies QueueTransition;
    expect(entryRowOf(wrapUp, 'n')).toBeUndefined();
    expect(wrapUpPatchOf(wrapUp)).toEqual({ call_id: 'c1', disposition: 'resolved', notes: 'ok', wrapped_up_at: 50 });
    expect(wrapUpPatchOf({ ...wrapUp, disposition: undefined, notes: undefined })).toEqual({ call_id: 'c1', disposition: null, notes: null, wrapped_up_at: 50 });
  });
});

describe('merging entry rows', () => {
  const row = (version: number, ended = false, endedBy: string | null = null) => ({
    ...entryRowOf({ type: 'entered', entry: entry({ version }), at: version }, 'n')!,
    ...(ended ? { state: 'ended', ended_at: 100 + version, outcome: 'abandoned' } : {}),
    ended_by: endedBy,
  });

  it('the higher version wins; of equal versions the later row, unless the earlier has ended', () => {
    expect(mergeEntryRows([row(2), row(1)])).toEqual([row(2)]);
    expect(mergeEntryRows([row(2), row(2, true)])).toEqual([row(2, true)]);
    expect(mergeEntryRows([row(2, true), row(2)])).toEqual([row(2, true)]);
    expect(mergeEntryRows([row(2, true), row(3)])).toEqual([row(2, true)]);
  });

  it('only a real end replaces the end recovery guessed', () => {
    expect(replaces(row(2, true), row(2, true, 'recovery'))).toBe(true);
    expect(replaces(row(3), row(2, true, 'recovery'))).toBe(false);
    expect(replaces(row(2, true), row(1, true))).toBe(false);
  });
});

describe('batchOf', () => {
  it('groups calls, entries and wrap-ups, merging the rows of one call or entry, keeping wrap-ups in order', () => {
    const call = (phase: string, ended_at: number | null): CallRecordRow =>
      ({ call_id: 'c1', phase, ended_at, ringing_at: phase === 'ringing' ? 5 : null }) as unknown as CallRecordRow;
    const entered = entryRowOf({ type: 'entered', entry: entry(), at: 1 }, 'n')!;
    const offered = { ...entered, state: 'offered', version: 2 };
    const batch = batchOf([
      { kind: 'call', row: call('ringing', null) },
      { kind: 'entry', row: entered },
      { kind: 'wrap-up', patch: { call_id: 'c0', disposition: 'a', notes: null, wrapped_up_at: 1 } },
      { kind: 'entry', row: offered },
      { kind: 'call', row: call('ended', 9) },
      { kind: 'wrap-up', patch: { call_id: 'c1', disposition: 'b', notes: null, wrapped_up_at: 2 } },
    ]);
    expect(batch.calls).toEqual([{ call_id: 'c1', phase: 'ended', ended_at: 9, ringing_at: 5 }]);
    expect(batch.entries).toEqual([offered]);
    expect(batch.wrapUps.map((patch) => patch.call_id)).toEqual(['c0', 'c1']);
  });
});
