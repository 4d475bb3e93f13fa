import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@callgate/client';
import { stepsOf, until } from '../support/calls.js';
import { serveCallgate, type CallgateServer } from '../support/callgate-process.js';
import { apiGet } from '../support/history.js';
import { TEST_SECRET } from '../support/servers.js';

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'callgate-cli-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function start(args: string[], options: Parameters<typeof serveCallgate>[1] = {}): Promise<CallgateServer> {
  const server = await serveCallgate(['--secret', TEST_SECRET, ...args], options);
  cleanups.push(() => server.stop());
  return server;
}

describe('callgate serve and call records', () => {
  it('in --dev mode keeps records in ./data/callgate.db and prints an admin key that reads them', async () => {
    const cwd = tempDir();
    const server = await start(['--dev'], { cwd });
    expect(existsSync(join(cwd, 'data', 'callgate.db'))).toBe(true);
    const adminKey = /generated admin key (\S+)/.exec(server.output())?.[1];
    expect(adminKey).toBeDefined();
    const customer = await server.client('dev-customer');
    cleanups.push(async () => customer.close());
    expect(await until(stepsOf(customer.call('dev-agent')), 'ended')).toBe(`ended:${ErrorCode.OFFLINE}`);
    const history = await apiGet(server, '/api/calls', adminKey);
    expect(history.status).toBe(200);
    expect(history.body.calls).toMatchObject([{ caller: 'dev-customer', callee: 'dev-agent', outcome: 'offline' }]);
  });

  it('takes CALLGATE_DB, CALLGATE_ADMIN_KEY and CALLGATE_DRAIN_TIMEOUT from the environment', async () => {
    const db = join(tempDir(), 'nested', 'records.db');
    const server = await start([], { env: { CALLGATE_DB: db, CALLGATE_ADMIN_KEY: 'env-admin-key-0123456', CALLGATE_DRAIN_TIMEOUT: '7' } });
    expect(existsSync(db)).toBe(true);
    expect((await apiGet(server, '/api/calls', 'env-admin-key-0123456')).status).toBe(200);
    server.signal('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.output()).toMatch(/"drainTimeoutMs":7000/);
  });

  it('refuses to start on a records database it cannot open, and says which', async () => {
    const dir = tempDir();
    await expect(serveCallgate(['--secret', TEST_SECRET, '--db', 'postgres://nobody:secret@127.0.0.1:1/none'], { cwd: dir })).rejects.toThrow(
      /cannot start: cannot prepare the records database \(PostgreSQL postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none\)/,
    );
  });

  it('lists the new options in --help', async () => {
    const server = serveCallgate(['--secret', TEST_SECRET, '--help']);
    await expect(server).rejects.toThrow(/--db <path-or-url>[\s\S]*--admin-key <key>[\s\S]*--drain-timeout <seconds>/);
  });
});
