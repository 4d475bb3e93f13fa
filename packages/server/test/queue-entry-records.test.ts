/**
 * Queue entry records from the switchboard's side, on both databases: the rows each step writes,
 * the wrap-up in the call's record, the upsert's rules, recovery, statistics and handle times.
 * Real switchboard, real memory backend, real databases; no sockets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { VideoCallEvent, queueDefinitionSchema, type Queue } from '@callgate/protocol';
import { Switchboard } from '../src/switchboard.js';
import { MemoryStateBackend } from '../src/state/memory-backend.js';
import { CallRecords } from '../src/records/call-records.js';
import { closeStaleEntries } from '../src/records/recovery.js';
import { queueRecordFigures } from '../src/records/queue-stats.js';
import { HandleTimes } from '../src/records/handle-times.js';
import { QueueDefinitions } from '../src/records/queue-definitions.js';
import type { CallRecordRow, QueueEntryRow } from '../src/records/schema.js';
import { DATABASE_KINDS, freshDatabase } from '../../../test/support/databases.js';

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const billing: Queue = { id: 'billing', ...queueDefinitionSchema.parse({ name: 'Billing', wrapUp: 30, serviceLevel: 20 }) };

async function world(kind: (typeof DATABASE_KINDS)[number]) {
  const database = await freshDatabase(kind);
  cleanups.push(() => database.drop());
  const backend = new MemoryStateBackend();
  const records = await CallRecords.open({ db: database.db, backend, logger });
  cleanups.push(() => records.close());
  cleanups.push(() => backend.close());
  const switchboard = new Switchboard({ backend, logger, ringTimeoutMs: 60_000, graceMs: 15_000, queues: (id) => (id === billing.id ? billing : undefined) });
  switchboard.onTransition((transition) => records.record(transition));
  switchboard.onQueueTransition((transition) => records.recordQueue(transition));
  const session = (userId: string): string => `s-${userId}`;
  const connect = async (userId: string, claims: { role?: string; queues?: string[] } = {}): Promise<void> => {
    await switchboard.handle({ kind: 'connect', userId, newSessionId: session(userId), node: 'local', connectionId: `c-${userId}`, ...claims });
  };
  const control = (from: string, event: number, peer: string) =>
    switchboard.control({ from, sessionId: session(from), event: event as typeof VideoCallEvent.REPLY, userId: peer, errorCode: 0, flags: 0, param: 0, userStr: '' });
  const entryRow = async (entryId: string): Promise<QueueEntryRow> => {
    await records.writer.settled();
    const row = await records.entries.get(entryId);
    if (!row) throw new Error(`no record of entry ${entryId}`);
    return row;
  };
  return { database, backend, records, switchboard, session, connect, control, entryRow };
}

describe.each(DATABASE_KINDS)('queue entry records on %s, from the switchboard', (kind) => {
  it('an entry is in its record at every step; the wrap-up lands in the call record', async () => {
    const w = await world(kind);
    await w.connect('anna', { role: 'agent', queues: ['billing'] });
    await w.connect('cust');
    await w.switchboard.queueControl({ kind: 'agent-status', from: 'anna', sessionId: w.session('anna'), status: 'available' });
    const entered = await w.switchboard.queueControl({ kind: 'enter-queue', from: 'cust', sessionId: w.session('cust'), queue: 'billing', flags: 3, param: 0, userStr: 'order 7' });
    const entryId = entered.ack!.entryId!;
    const offered = await w.entryRow(entryId);
    expect(offered).toMatchObject({ queue: 'billing', first_queue: 'billing', customer: 'cust', state: 'offered', agent: 'anna', user_str: 'order 7', flags: 3, ended_at: null, outcome: null });
    const callId = offered.call_id!;
    expect(JSON.parse(offered.offers)).toEqual([{ agent: 'anna', at: offered.entered_at, callId }]);

    expect(await w.control('anna', VideoCallEvent.REPLY, 'cust')).toEqual({ ok: true });
    const answered = await w.entryRow(entryId);
    expect(answered).toMatchObject({ state: 'connected', call_id: callId });
    expect(answered.waited_ms).toBe(answered.answered_at! - answered.entered_at);
    expect(answered.version).toBeGreaterThan(offered.version);

    expect(await w.control('cust', VideoCallEvent.FINISH, 'anna')).toEqual({ ok: true });
    const served = await w.entryRow(entryId);
    expect(served).toMatchObject({ state: 'ended', outcome: 'served', waited_ms: answered.waited_ms, agent: 'anna', call_id: callId, ended_by: null });
    expect(JSON.parse(served.offers)[0]).toMatchObject({ agent: 'anna', result: 'accepted' });

    await w.switchboard.queueControl({ kind: 'end-wrap-up', from: 'anna', sessionId: w.session('anna'), disposition: 'resolved', notes: 'refund sent' });
    await w.records.writer.settled();
    const call = await w.records.store.get(callId);
    expect(call).toMatchObject({ queue: 'billing', entry_id: entryId, outcome: 'completed', disposition: 'resolved', notes: 'refund sent' });
    expect(call!.wrapped_up_at).toBeGreaterThanOrEqual(call!.ended_at!);
  });

  it('a customer who leaves while waiting: abandoned, waited until it left', async () => {
    const w = await world(kind);
    await w.connect('cust');
    const entered = await w.switchboard.queueControl({ kind: 'enter-queue', from: 'cust', sessionId: w.session('cust'), queue: 'billing', flags: 0, param: 0, userStr: '' });
    await w.switchboard.queueControl({ kind: 'leave-queue', from: 'cust', sessionId: w.session('cust') });
    const row = await w.entryRow(entered.ack!.entryId!);
    expect(row).toMatchObject({ state: 'ended', outcome: 'abandoned', answered_at: null, agent: null });
    expect(row.waited_ms).toBe(row.ended_at! - row.entered_at);
  });

  it('the upsert: a newer version replaces an open row, an end stays, and a real end replaces recovery\u2019s guess', async () => {
    const w = await world(kind);
    const base: QueueEntryRow = {
      entry_id: 'e-up', queue: 'billing', first_queue: 'billing', customer: 'c', priority: 0, flags: 0, user_str: '', state: 'waiting',
      entered_at: 1_000, queued_at: 1_000, answered_at: null, ended_at: null, waited_ms: null, outcome: null, agent: null, call_id: null,
      offers: '[]', transfers: '[]', node: 'n', version: 2, updated_at: 1_000, ended_by: null,
    };
    const write = (row: QueueEntryRow) => w.records.store.writeBatch({ calls: [], entries: [row], wrapUps: [] });
    const read = () => w.records.entries.get('e-up');
    await write(base);
    await write({ ...base, state: 'offered', version: 1 });
    expect(await read()).toMatchObject({ state: 'waiting', version: 2 });
    await write({ ...base, state: 'offered', agent: 'anna', version: 3 });
    expect(await read()).toMatchObject({ state: 'offered', agent: 'anna' });
    expect(await w.records.entries.closeOpen(['e-up'], 5_000)).toBe(1);
    expect(await read()).toMatchObject({ state: 'ended', outcome: 'closed', ended_by: 'recovery', ended_at: 5_000, waited_ms: 4_000 });
    await write({ ...base, version: 9 });
    expect(await read()).toMatchObject({ outcome: 'closed', ended_by: 'recovery' });
    const realEnd = { ...base, version: 3, state: 'ended', outcome: 'abandoned', ended_at: 4_000, waited_ms: 3_000 };
    await write(realEnd);
    expect(await read()).toMatchObject({ outcome: 'abandoned', ended_by: null, ended_at: 4_000 });
    await write({ ...realEnd, version: 4, outcome: 'timeout' });
    expect(await read()).toMatchObject({ outcome: 'abandoned' });
  });

  it('recovery closes only the open entries the state backend no longer holds', async () => {
    const w = await world(kind);
    await w.connect('cust');
    const entered = await w.switchboard.queueControl({ kind: 'enter-queue', from: 'cust', sessionId: w.session('cust'), queue: 'billing', flags: 0, param: 0, userStr: '' });
    const live = await w.entryRow(entered.ack!.entryId!);
    await w.records.store.writeBatch({ calls: [], entries: [{ ...live, entry_id: 'left-by-a-crash', entered_at: live.entered_at - 10 }], wrapUps: [] });
    expect(await closeStaleEntries(w.records.entries, w.backend, Date.now())).toBe(1);
    expect(await w.records.entries.get('left-by-a-crash')).toMatchObject({ outcome: 'closed', ended_by: 'recovery', state: 'ended' });
    expect(await w.records.entries.get(live.entry_id)).toMatchObject({ state: 'waiting', outcome: null });
  });
});

describe.each(DATABASE_KINDS)('queue statistics and handle times on %s', (kind) => {
  const T = 1_800_000_000_000;
  const entryRow = (id: string, changes: Partial<QueueEntryRow>): QueueEntryRow => ({
    entry_id: id, queue: 'billing', first_queue: 'billing', customer: `c-${id}`, priority: 0, flags: 0, user_str: '', state: 'ended',
    entered_at: T, queued_at: T, answered_at: null, ended_at: T + 60_000, waited_ms: 60_000, outcome: 'abandoned', agent: null, call_id: null,
    offers: '[]', transfers: '[]', node: 'n', version: 1, updated_at: T, ended_by: null, ...changes,
  });
  const callRow = (id: string, changes: Partial<CallRecordRow>): CallRecordRow => ({
    call_id: id, caller: 'c', callee: 'anna', flags: 0, param: 0, user_str: '', room_id: 1, phase: 'ended', node: 'n',
    requested_at: T, ringing_at: T, answered_at: T, started_at: T, ended_at: T + 100_000, duration_ms: 100_000, outcome: 'completed',
    error_code: 0, ended_by: 'c', ended_in: 'talking', updated_at: T, queue: 'billing', entry_id: null,
    pushed: null, woke_after_ms: null, answered_on: null, ...changes,
  });

  it('counts by outcome, average wait of the answered, handle time of the served calls, service level over the ended', async () => {
    const w = await world(kind);
    const served = (id: string, waited: number) => entryRow(id, { outcome: 'served', answered_at: T + waited, waited_ms: waited });
    await w.records.store.writeBatch({
      entries: [
        served('s1', 5_000),
        served('s2', 15_000),
        served('s3', 40_000), // answered, but after the 20 s target
        entryRow('a1', {}),
        entryRow('t1', { outcome: 'timeout' }),
        entryRow('x1', { outcome: 'closed' }),
        entryRow('moved', { queue: 'tech', outcome: 'served', answered_at: T + 1, waited_ms: 1 }), // entered billing, served by tech
        entryRow('old', { entered_at: T - 90_000, ended_at: T - 30_000 }), // before `since`
        entryRow('open', { state: 'waiting', ended_at: null, waited_ms: null, outcome: null }),
      ],
      calls: [
        callRow('k1', { duration_ms: 100_000 }),
        callRow('k2', { duration_ms: 200_000 }),
        callRow('k3', { outcome: 'transferred', duration_ms: 999_000 }),
        callRow('k4', { outcome: 'refused', started_at: null, duration_ms: null }),
        callRow('k5', { queue: 'tech', duration_ms: 5 }),
      ],
      wrapUps: [],
    });
    const figures = await queueRecordFigures(w.records.store.database, billing, T);
    expect(figures).toEqual({
      entered: 8, // every row that first entered billing since T (not `old`)
      served: 3,
      abandoned: 1,
      timeout: 1,
      closed: 1,
      transferred: 1,
      averageWaitMs: 20_000, // (5 + 15 + 40) / 3 s
      averageHandleMs: 150_000, // (100 + 200) / 2 s; the transferred and the refused calls do not count
      serviceLevel: 2 / 6, // answered within 20 s ÷ ended in billing since T
      answeredInTarget: 2,
      ended: 6,
    });
    expect(await queueRecordFigures(w.records.store.database, billing, T + 10 * 60_000)).toMatchObject({
      entered: 0, served: 0, ended: 0, averageWaitMs: null, averageHandleMs: null, serviceLevel: null,
    });
  });

  it('handle times: per queue, the average talk time of its last 50 served calls, in one query', async () => {
    const w = await world(kind);
    const definitions = new QueueDefinitions(w.records.store.database);
    for (const id of ['billing', 'tech', 'idle']) await definitions.putQueue({ ...billing, id }, T);
    const calls: CallRecordRow[] = [];
    // 60 billing calls: the 10 oldest last 1 000 s, the newest 50 last 10 s.
    for (let i = 0; i < 60; i++) calls.push(callRow(`b${i}`, { ended_at: T + i * 1000, duration_ms: i < 10 ? 1_000_000 : 10_000 }));
    calls.push(callRow('t1', { queue: 'tech', duration_ms: 4_000 }), callRow('t2', { queue: 'tech', duration_ms: 6_000 }));
    calls.push(callRow('t3', { queue: 'tech', outcome: 'transferred', duration_ms: 1_000_000 }));
    await w.records.store.writeBatch({ calls, entries: [], wrapUps: [] });
    const times = new HandleTimes(w.records.store.database, logger);
    await times.start();
    cleanups.push(() => times.close());
    expect([times.of('billing'), times.of('tech'), times.of('idle'), times.of('nope')]).toEqual([10_000, 5_000, undefined, undefined]);
  });
});
