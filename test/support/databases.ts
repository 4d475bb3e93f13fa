import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';

export type DatabaseKind = 'sqlite' | 'postgres';

/** Every records database the server supports; record tests run once against each. */
export const DATABASE_KINDS: readonly DatabaseKind[] = ['sqlite', 'postgres'];

export interface TestDatabase {
  kind: DatabaseKind;
  /** What `--db` / `ServerOptions.db` takes. */
  db: string;
  /** For PostgreSQL: runs SQL as the cluster's superuser in the maintenance database. */
  admin(statement: string): Promise<void>;
  /** PostgreSQL only: the database's name. */
  name: string;
  drop(): Promise<void>;
}

async function asSuperuser(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: inject('postgresUrl') });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A new, empty database: a SQLite file in a temporary directory, or a database in the test cluster. */
export async function freshDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'callgate-records-'));
    return {
      kind,
      db: join(dir, 'records', 'callgate.db'),
      name: '',
      admin: () => Promise.reject(new Error('no admin SQL for SQLite')),
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `callgate_${randomBytes(6).toString('hex')}`;
  await asSuperuser(`CREATE DATABASE ${name}`);
  const url = new URL(inject('postgresUrl'));
  url.pathname = `/${name}`;
  return {
    kind,
    db: url.toString(),
    name,
    admin: asSuperuser,
    drop: () => asSuperuser(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
