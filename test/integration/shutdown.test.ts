import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@callgate/client';
import type { RunningServer } from '@callgate/server';
import { incomingCalls, stepsOf, until } from '../support/calls.js';
import { serveCallgate } from '../support/callgate-process.js';
import { DATABASE_KINDS, freshDatabase, type TestDatabase } from '../support/databases.js';
import { allPages, apiGet, callRecord } from '../support/history.js';
import { RawSocket } from '../support/raw-socket.js';
import { sleep, startTestServer, TEST_SECRET } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

const ADMIN = 'shutdown-admin-key';
const SHUTTING_DOWN = ErrorCode.SHUTTING_DOWN;
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function database(kind: TestDatabase['kind'] = 'sqlite'): Promise<TestDatabase> {
  const fresh = await freshDatabase(kind);
  cleanups.push(() => fresh.drop());
  return fresh;
}

async function users(server: RunningServer, ...ids: string[]): Promise<TestUser[]> {
  const connected = await Promise.all(ids.map((id) => TestUser.connect(server, id)));
  cleanups.push(async () => void (await Promise.all(connected.map((u) => u.close()))));
  return connected;
}

/** The records as a server started afterwards on the same database reads them. */
async function recordsAfterwards(db: string): Promise<Map<string, Awaited<ReturnType<typeof callRecord>>>> {
  const reader = await startTestServer({ db, adminKey: ADMIN });
  try {
    return new Map((await allPages(reader, '/api/calls', ADMIN)).map((record) => [record.callId, record]));
  } finally {
    await reader.close();
  }
}

describe('RunningServer.close({ drainTimeoutMs })', () => {
  it('refuses new connections and new REQUESTs (SHUTTING_DOWN) while live calls go on to their own end', async () => {
    const { db } = await database();
    const server = await startTestServer({ db, adminKey: ADMIN });
    const [customer, agent, latecomer] = await users(server, 'd-customer', 'd-agent', 'd-latecomer');
    const calls = incomingCalls(agent!);
    const live = customer!.client.call('d-agent');
    const liveSteps = stepsOf(live);
    const answered = await calls.next('incoming');
    await answered.accept();
    await until(liveSteps, 'started');

    let closed = false;
    const closing = server.close({ drainTimeoutMs: 15_000 }).then(() => (closed = true));
    const refused = latecomer!.client.call('d-customer');
    expect(await until(stepsOf(refused), 'ended')).toBe(`ended:${SHUTTING_DOWN}`);
    await expect(RawSocket.open(server)).rejects.toThrow();
    await expect(fetch(`${server.httpUrl}/healthz`)).rejects.toThrow();

    await sleep(100);
    expect(closed).toBe(false);
    await answered.hangup();
    expect(await until(liveSteps, 'ended')).toBe('ended:0');
    await closing;

    const records = await recordsAfterwards(db);
    expect(records.get(live.callId!)).toMatchObject({ outcome: 'completed', errorCode: 0, endedBy: 'd-agent' });
    expect(records.get(refused.callId!)).toMatchObject({
      outcome: 'shutting-down',
      errorCode: SHUTTING_DOWN,
      endedBy: 'server',
      endedIn: 'requested',
    });
  });

  it('ends the calls still live at the drain timeout with FINISH SHUTTING_DOWN to both parties, ringing ones too', async () => {
    const { db } = await database();
    const server = await startTestServer({ db, adminKey: ADMIN });
    const [customer, agent, caller, callee] = await users(server, 't-customer', 't-agent', 't-caller', 't-callee');
    const toAgent = incomingCalls(agent!);
    const talking = customer!.client.call('t-agent');
    const talkingSteps = stepsOf(talking);
    const answered = await toAgent.next('incoming');
    const answeredSteps = stepsOf(answered);
    await answered.accept();
    await until(talkingSteps, 'started');
    const toCallee = incomingCalls(callee!);
    const ringing = caller!.client.call('t-callee');
    const ringingSteps = stepsOf(ringing);
    const unanswered = stepsOf(await toCallee.next('incoming'));
    await until(ringingSteps, 'ringing');

    await server.close({ drainTimeoutMs: 300 });
    expect(await until(talkingSteps, 'ended')).toBe(`ended:${SHUTTING_DOWN}`);
    expect(await until(answeredSteps, 'ended')).toBe(`ended:${SHUTTING_DOWN}`);
    expect(await until(ringingSteps, 'ended')).toBe(`ended:${SHUTTING_DOWN}`);
    expect(await until(unanswered, 'ended')).toBe(`ended:${SHUTTING_DOWN}`);

    const records = await recordsAfterwards(db);
    expect(records.get(talking.callId!)).toMatchObject({
      outcome: 'force-ended',
      errorCode: SHUTTING_DOWN,
      endedBy: 'server',
      endedIn: 'talking',
    });
    expect(records.get(ringing.callId!)).toMatchObject({ outcome: 'force-ended', errorCode: SHUTTING_DOWN, endedIn: 'ringing' });
  });
});

describe.each(DATABASE_KINDS)('callgate serve on %s, stopped by a signal', (kind) => {
  it('SIGTERM drains, ends the rest with FINISH 200011 after --drain-timeout, writes every record and exits 0', async () => {
    const { db } = await database(kind);
    const server = await serveCallgate(['--secret', TEST_SECRET, '--db', db, '--admin-key', ADMIN, '--drain-timeout', '0.5']);
    cleanups.push(() => server.stop());
    const clients = await Promise.all(['s-customer', 's-agent', 's-latecomer'].map((id) => server.client(id)));
    cleanups.push(async () => clients.forEach((c) => c.close()));
    const [customer, agent, latecomer] = clients;
    const toAgent = incomingCalls(agent!);
    const live = customer!.call('s-agent');
    const liveSteps = stepsOf(live);
    const answered = await toAgent.next('incoming');
    const answeredSteps = stepsOf(answered);
    await answered.accept();
    await until(liveSteps, 'started');

    server.signal('SIGTERM');
    await server.waitFor(/shutting down/, 'the shutdown to be logged', 2000);
    const refused = latecomer!.call('s-customer');
    expect(await until(stepsOf(refused), 'ended')).toBe(`ended:${SHUTTING_DOWN}`);
    expect(await until(liveSteps, 'ended')).toBe(`ended:${SHUTTING_DOWN}`);
    expect(await until(answeredSteps, 'ended')).toBe(`ended:${SHUTTING_DOWN}`);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.output()).toMatch(/every call record is written/);

    const records = await recordsAfterwards(db);
    expect([...records.values()].filter((r) => r.outcome === null)).toEqual([]);
    expect(records.get(live.callId!)).toMatchObject({ outcome: 'force-ended', errorCode: SHUTTING_DOWN, endedBy: 'server' });
    expect(records.get(refused.callId!)).toMatchObject({ outcome: 'shutting-down', errorCode: SHUTTING_DOWN });
  });
});

describe('a second signal', () => {
  it('exits at once, without waiting for the drain', async () => {
    const { db } = await database();
    const server = await serveCallgate(['--secret', TEST_SECRET, '--db', db, '--drain-timeout', '60']);
    cleanups.push(() => server.stop());
    const [customer, agent] = await Promise.all(['x-customer', 'x-agent'].map((id) => server.client(id)));
    cleanups.push(async () => [customer, agent].forEach((c) => c!.close()));
    const toAgent = incomingCalls(agent!);
    const steps = stepsOf(customer!.call('x-agent'));
    await (await toAgent.next('incoming')).accept();
    await until(steps, 'started');

    server.signal('SIGTERM');
    await server.waitFor(/shutting down/, 'the shutdown to be logged', 2000);
    await sleep(200);
    expect(server.child.exitCode).toBeNull();
    server.signal('SIGINT');
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.output()).toMatch(/second signal: exiting at once/);
    expect((await apiGet(server, '/healthz').catch(() => ({ status: 0 }))).status).toBe(0);
  });
});

describe('a client that never answers the close frame', () => {
  it('does not hold the shutdown until the WebSocket close timeout', async () => {
    const server = await startTestServer();
    const socket = net.connect(server.port, '127.0.0.1');
    cleanups.push(async () => void socket.destroy());
    socket.write(
      'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await new Promise<void>((resolve) => socket.once('data', (data: Buffer) => data.toString().startsWith('HTTP/1.1 101') && resolve()));
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const tooLong = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the shutdown waited more than 5 s on a client that never answers the close frame')), 5000);
    });
    try {
      await Promise.race([server.close().then(() => ended), tooLong]);
    } finally {
      clearTimeout(timer);
    }
  });
});
