/**
 * Call records from the switchboard's side, on both databases: what the sockets cannot show
 * (a business veto, the dialing phase while it decides, recovery next to calls another node still runs).
 * Real switchboard, real memory backend, real databases; no sockets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ErrorCode, VideoCallEvent } from '@callgate/protocol';
import { Switchboard } from '../src/switchboard.js';
import { MemoryStateBackend } from '../src/state/memory-backend.js';
import { CallRecords } from '../src/records/call-records.js';
import { closeStaleRecords } from '../src/records/recovery.js';
import { DATABASE_KINDS, freshDatabase } from '../../../test/support/databases.js';
import { waitUntil } from '../../../test/support/servers.js';

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function world(kind: (typeof DATABASE_KINDS)[number]) {
  const database = await freshDatabase(kind);
  cleanups.push(() => database.drop());
  const backend = new MemoryStateBackend();
  const records = await CallRecords.open({ db: database.db, backend, logger });
  cleanups.push(() => records.close());
  cleanups.push(() => backend.close());
  const switchboard = new Switchboard({ backend, logger, ringTimeoutMs: 60_000, graceMs: 15_000 });
  switchboard.onTransition((transition) => records.record(transition));
  const sessions = new Map<string, string>();
  const connect = async (userId: string): Promise<void> => {
    const { session } = await switchboard.handle({ kind: 'connect', userId, newSessionId: `s-${userId}`, node: 'local', connectionId: `c-${userId}` });
    if (!session || 'refused' in session) throw new Error(`${userId} got no session`);
    sessions.set(userId, session.sessionId);
  };
  const request = (from: string, peer: string) =>
    switchboard.control({ from, sessionId: sessions.get(from)!, event: VideoCallEvent.REQUEST, userId: peer, errorCode: 0, flags: 1, param: 5, userStr: 'hi' });
  const newest = async () => {
    await records.writer.settled();
    const [row] = await records.store.list({ limit: 1 });
    return row!;
  };
  return { database, backend, records, switchboard, connect, request, newest };
}

describe.each(DATABASE_KINDS)('call records on %s, from the switchboard', (kind) => {
  it('a REQUEST the business server is deciding on is "dialing"; its veto is "vetoed"', async () => {
    const w = await world(kind);
    let decide: (code: number) => void = () => {};
    w.switchboard.setAuthorizer(() => new Promise<number>((resolve) => (decide = resolve)));
    await w.connect('caller');
    await w.connect('callee');
    expect(await w.request('caller', 'callee')).toEqual({ ok: true });
    expect(await w.newest()).toMatchObject({ phase: 'dialing', ringing_at: null, ended_at: null });
    decide(4242);
    let row = await w.newest();
    await waitUntil('the vetoed record to end', async () => (row = await w.newest()).phase === 'ended', 1000);
    expect(row).toMatchObject({
      phase: 'ended',
      outcome: 'vetoed',
      error_code: 4242,
      ended_by: 'business',
      ended_in: 'dialing',
      ringing_at: null,
    });
  });

  it('a draining switchboard refuses a REQUEST at once and records it as shutting-down', async () => {
    const w = await world(kind);
    await w.connect('caller');
    await w.connect('callee');
    w.switchboard.setDraining(true);
    expect(await w.request('caller', 'callee')).toEqual({ ok: true });
    expect(await w.newest()).toMatchObject({ outcome: 'shutting-down', error_code: ErrorCode.SHUTTING_DOWN, ended_in: 'requested' });
  });

  it('recovery closes only the open records whose call the state backend no longer holds', async () => {
    const w = await world(kind);
    await w.connect('a');
    await w.connect('b');
    await w.request('a', 'b');
    const live = await w.newest();
    const stale = { ...live, call_id: 'left-by-a-crash', requested_at: live.requested_at - 1000 };
    await w.records.store.write([stale]);
    expect(await closeStaleRecords(w.records.store, w.backend, Date.now())).toBe(1);
    expect(await w.records.store.get('left-by-a-crash')).toMatchObject({ outcome: 'disconnected', ended_by: 'recovery', ended_in: 'ringing' });
    expect(await w.records.store.get(live.call_id)).toMatchObject({ phase: 'ringing', outcome: null });
  });

  it('an ended record is never changed again (but a real end replaces recovery’s guess); a later write never blanks a known step', async () => {
    const w = await world(kind);
    await w.connect('a');
    await w.connect('b');
    await w.request('a', 'b');
    const ringing = await w.newest();
    await w.records.store.write([{ ...ringing, ringing_at: null, phase: 'ringing', updated_at: ringing.updated_at + 1 }]);
    expect((await w.records.store.get(ringing.call_id))?.ringing_at).toBe(ringing.ringing_at);
    await w.records.store.endOpen([ringing.call_id], { at: Date.now(), outcome: 'disconnected', errorCode: ErrorCode.DISCONNECT, endedBy: 'recovery' });
    await w.records.store.write([{ ...ringing, phase: 'talking', started_at: Date.now(), room_id: 7 }]);
    expect(await w.records.store.get(ringing.call_id)).toMatchObject({ phase: 'ended', outcome: 'disconnected', started_at: null, room_id: null });

    // Another node's real end, still in its queue when recovery guessed, replaces the guess; nothing replaces a real end.
    const realEnd = { ...ringing, phase: 'ended', ended_at: Date.now(), outcome: 'cancelled', error_code: ErrorCode.CANCEL, ended_by: 'a', ended_in: 'ringing' };
    await w.records.store.write([realEnd]);
    expect(await w.records.store.get(ringing.call_id)).toMatchObject({ outcome: 'cancelled', error_code: ErrorCode.CANCEL, ended_by: 'a' });
    await w.records.store.write([{ ...realEnd, outcome: 'timeout', ended_by: 'server' }]);
    expect(await w.records.store.get(ringing.call_id)).toMatchObject({ outcome: 'cancelled', ended_by: 'a' });
  });
});
