import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * The schema's history, oldest first. Applied in order at start; never edit a migration that
 * has shipped: add the next one. The same statements run on SQLite and PostgreSQL.
 */
const migrations: Record<string, Migration> = {
  '0001_call_records': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('call_records')
        .addColumn('call_id', 'text', (c) => c.primaryKey())
        .addColumn('caller', 'text', (c) => c.notNull())
        .addColumn('callee', 'text', (c) => c.notNull())
        .addColumn('flags', 'bigint', (c) => c.notNull())
        .addColumn('param', 'bigint', (c) => c.notNull())
        .addColumn('user_str', 'text', (c) => c.notNull())
        .addColumn('room_id', 'bigint')
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('node', 'text', (c) => c.notNull())
        .addColumn('requested_at', 'bigint', (c) => c.notNull())
        .addColumn('ringing_at', 'bigint')
        .addColumn('answered_at', 'bigint')
        .addColumn('started_at', 'bigint')
        .addColumn('ended_at', 'bigint')
        .addColumn('duration_ms', 'bigint')
        .addColumn('outcome', 'text')
        .addColumn('error_code', 'bigint')
        .addColumn('ended_by', 'text')
        .addColumn('ended_in', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('call_records_newest').on('call_records').columns(['requested_at', 'call_id']).execute();
      await db.schema
        .createIndex('call_records_caller')
        .on('call_records')
        .columns(['caller', 'requested_at', 'call_id'])
        .execute();
      await db.schema
        .createIndex('call_records_callee')
        .on('call_records')
        .columns(['callee', 'requested_at', 'call_id'])
        .execute();
      await db.schema
        .createIndex('call_records_open')
        .on('call_records')
        .column('call_id')
        .where(sql.ref('ended_at'), 'is', null)
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('call_records').execute();
    },
  },
};

export const recordMigrations: MigrationProvider = {
  getMigrations: async () => migrations,
};
