/**
 * vitest globalSetup: a throw-away PostgreSQL cluster for the test run, on a free loopback port
 * in a temporary directory, stopped and removed after. Tests get its URL with
 * `inject('postgresUrl')` and create a database of their own in it (test/support/databases.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from '../support/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

const INSTALL = 'apt-get install -y postgresql';

function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

function ensurePostgresBin(): string {
  const found = postgresBin();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(`PostgreSQL is needed by the call-record tests and is not installed. Run:\n  sudo ${INSTALL}`);
  }
  console.log(`[postgres] not installed; running: ${INSTALL}`);
  execFileSync('apt-get', ['update'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', 'postgresql'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  const installed = postgresBin();
  if (!installed) throw new Error(`"${INSTALL}" ran but no initdb was found under /usr/lib/postgresql/*/bin`);
  return installed;
}

/**
 * initdb refuses to run as root: as root, the cluster belongs to the postgres user. Output goes
 * to a file: the server that pg_ctl starts would hold a pipe open and hang the caller.
 */
function runAsOwner(command: string, args: string[], output: string): void {
  const asRoot = process.getuid?.() === 0;
  const line = [command, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const shell = `${line} >> '${output}' 2>&1 < /dev/null`;
  const result = asRoot
    ? spawnSync('runuser', ['-u', 'postgres', '--', 'sh', '-c', shell], { stdio: 'ignore' })
    : spawnSync('sh', ['-c', shell], { stdio: 'ignore' });
  if (result.status !== 0) {
    const log = existsSync(output) ? readFileSync(output, 'utf8') : '';
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${log}`);
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const bin = ensurePostgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'callgate-pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  runAsOwner(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--no-locale'], log);
  const port = await freePort();
  const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  runAsOwner(join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-o', settings, '-w', '-t', '60', 'start'], log);
  project.provide('postgresUrl', `postgres://postgres@127.0.0.1:${port}/postgres`);
  return () => {
    try {
      runAsOwner(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], log);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
