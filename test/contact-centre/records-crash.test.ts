/**
 * kill -9 of a real `callgate serve` process while customers wait and talk: the restart closes
 * their open entry records as `closed` (and the open call as `disconnected`); an entry that ended
 * before the crash keeps its end. On SQLite (written from the worker thread) and PostgreSQL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { QueueEntryView } from '@callgate/server';
import { serveCallgate, type CallgateServer } from '../support/callgate-process.js';
import { DATABASE_KINDS, freshDatabase, type TestDatabase } from '../support/databases.js';
import { apiGet, callRecord } from '../support/history.js';
import { answerOffer, availableAgent, enterQueue, hangUp, WireUser } from '../support/queue-wire.js';
import { TEST_SECRET, waitUntil } from '../support/servers.js';

const ADMIN = 'records-crash-admin';
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(database: TestDatabase, queuesFile: string): Promise<CallgateServer> {
  const server = await serveCallgate(['--secret', TEST_SECRET, '--db', database.db, '--admin-key', ADMIN, '--queues', queuesFile]);
  cleanups.push(() => server.stop());
  return server;
}

async function entries(server: CallgateServer): Promise<Map<string, QueueEntryView>> {
  const page = await apiGet<{ entries: QueueEntryView[] }>(server, '/api/queue-entries?queue=desk', ADMIN);
  expect(page.status).toBe(200);
  return new Map(page.body.entries.map((entry) => [entry.customer, entry]));
}

describe.each(DATABASE_KINDS)('kill -9 with customers in a queue, on %s', (kind) => {
  it('the restart closes the open entries as closed, ended by recovery; ended ones stay as they ended', async () => {
    const database = await freshDatabase(kind);
    cleanups.push(() => database.drop());
    const dir = mkdtempSync(join(tmpdir(), 'callgate-queues-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const queuesFile = join(dir, 'queues.json');
    writeFileSync(queuesFile, JSON.stringify({ queues: [{ id: 'desk', name: 'Desk', wrapUp: 0 }] }));

    const first = await serve(database, queuesFile);
    const sockets: WireUser[] = [];
    cleanups.push(async () => sockets.forEach((s) => s.close()));
    const anna = await availableAgent(first, 'kq-anna', ['desk']);
    const served = await WireUser.connect(first, 'kq-served');
    const talking = await WireUser.connect(first, 'kq-talking');
    const waiting = await WireUser.connect(first, 'kq-waiting');
    sockets.push(anna, served, talking, waiting);
    await enterQueue(served, 'desk');
    await answerOffer(anna, served);
    await hangUp(served, anna);
    await anna.agentStatus('available');
    await enterQueue(talking, 'desk');
    const callId = await answerOffer(anna, talking);
    await enterQueue(waiting, 'desk');
    await waitUntil('every step in the records before the crash', async () => {
      const now = await entries(first);
      return now.get('kq-served')?.outcome === 'served' && now.get('kq-talking')?.state === 'connected' && now.get('kq-waiting')?.state === 'waiting';
    });

    first.signal('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const second = await serve(database, queuesFile);
    expect(second.output()).toMatch(/closed 2 queue entry record\(s\) left open by a previous run as closed/);
    expect(second.output()).toMatch(/closed 1 call record\(s\) left open by a previous run as disconnected/);
    const after = await entries(second);
    const inCall = after.get('kq-talking')!;
    expect(inCall).toMatchObject({ state: 'ended', outcome: 'closed', endedBy: 'recovery', agent: 'kq-anna', callId });
    expect(inCall.waitedMs).toBe(Date.parse(inCall.answeredAt!) - Date.parse(inCall.enteredAt));
    const inLine = after.get('kq-waiting')!;
    expect(inLine).toMatchObject({ state: 'ended', outcome: 'closed', endedBy: 'recovery', answeredAt: null, agent: null });
    expect(inLine.waitedMs).toBe(Date.parse(inLine.endedAt!) - Date.parse(inLine.enteredAt));
    expect(after.get('kq-served')).toMatchObject({ outcome: 'served', endedBy: null });
    expect(await callRecord(second, callId, ADMIN)).toMatchObject({ queue: 'desk', outcome: 'disconnected', endedBy: 'recovery' });

    await second.stop();
    const third = await serve(database, queuesFile);
    expect(third.output()).not.toMatch(/queue entry record\(s\) left open/);
    expect(await entries(third)).toEqual(after);
  });
});
