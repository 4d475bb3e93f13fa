import { afterEach, describe, expect, it } from 'vitest';
import type { CallClient } from '@callgate/client';
import { incomingCalls, stepsOf, until } from '../support/calls.js';
import { serveCallgate, type CallgateServer } from '../support/callgate-process.js';
import { DATABASE_KINDS, freshDatabase, type TestDatabase } from '../support/databases.js';
import { apiGet, callRecord } from '../support/history.js';
import { TEST_SECRET, waitUntil } from '../support/servers.js';

const ADMIN = 'crash-admin-key-0123';
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(database: TestDatabase): Promise<CallgateServer> {
  const server = await serveCallgate(['--secret', TEST_SECRET, '--db', database.db, '--admin-key', ADMIN]);
  cleanups.push(() => server.stop());
  return server;
}

async function clients(server: CallgateServer, ...ids: string[]): Promise<CallClient[]> {
  const connected = await Promise.all(ids.map((id) => server.client(id)));
  cleanups.push(async () => connected.forEach((c) => c.close()));
  return connected;
}

/** Waits until the record of `callId` shows `phase`: records are written just behind the call. */
async function recordReaches(server: CallgateServer, callId: string, phase: string): Promise<void> {
  const reached = async (): Promise<boolean> => (await apiGet<{ phase?: string }>(server, `/api/calls/${callId}`, ADMIN)).body.phase === phase;
  await waitUntil(`the record of ${callId} to reach ${phase}`, reached, 1000);
}

describe.each(DATABASE_KINDS)('kill -9 of the server on %s', (kind) => {
  it('keeps every step already taken; the restart closes the open calls as disconnected', async () => {
    const database = await freshDatabase(kind);
    cleanups.push(() => database.drop());
    const first = await serve(database);
    const [customer, agent, caller, callee] = await clients(first, 'k-customer', 'k-agent', 'k-caller', 'k-callee');

    const toAgent = incomingCalls(agent!);
    const talking = customer!.call('k-agent', { flags: 3, userStr: 'before the crash' });
    const talkingSteps = stepsOf(talking);
    await (await toAgent.next('incoming')).accept();
    const roomId = Number((await until(talkingSteps, 'started')).split(':')[1]);
    const toCallee = incomingCalls(callee!);
    const ringing = caller!.call('k-callee');
    await toCallee.next('incoming');
    await until(stepsOf(ringing), 'ringing');
    await recordReaches(first, talking.callId!, 'talking');
    await recordReaches(first, ringing.callId!, 'ringing');

    first.signal('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const second = await serve(database);
    expect(second.output()).toMatch(/closed 2 call record\(s\) left open by a previous run as disconnected/);
    const talked = await callRecord(second, talking.callId!, ADMIN);
    expect(talked).toMatchObject({
      caller: 'k-customer',
      callee: 'k-agent',
      flags: 3,
      userStr: 'before the crash',
      roomId,
      phase: 'ended',
      outcome: 'disconnected',
      errorCode: 100106,
      endedBy: 'recovery',
      endedIn: 'talking',
    });
    for (const step of [talked.ringingAt, talked.answeredAt, talked.startedAt, talked.endedAt]) expect(step).not.toBeNull();
    expect(talked.durationMs).toBe(Date.parse(talked.endedAt!) - Date.parse(talked.startedAt!));
    const rang = await callRecord(second, ringing.callId!, ADMIN);
    expect(rang).toMatchObject({ outcome: 'disconnected', endedIn: 'ringing', startedAt: null, durationMs: null, roomId: null });
    expect(rang.ringingAt).not.toBeNull();

    await second.stop();
    const third = await serve(database);
    expect(third.output()).not.toMatch(/left open by a previous run/);
    expect(await callRecord(third, talking.callId!, ADMIN)).toEqual(talked);
  });
});
