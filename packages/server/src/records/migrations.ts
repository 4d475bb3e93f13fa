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
  '0002_contact_centre': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('queues')
        .addColumn('queue_id', 'text', (c) => c.primaryKey())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('queue_entries')
        .addColumn('entry_id', 'text', (c) => c.primaryKey())
        .addColumn('queue', 'text', (c) => c.notNull())
        .addColumn('first_queue', 'text', (c) => c.notNull())
        .addColumn('customer', 'text', (c) => c.notNull())
        .addColumn('priority', 'bigint', (c) => c.notNull())
        .addColumn('flags', 'bigint', (c) => c.notNull())
        .addColumn('user_str', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('entered_at', 'bigint', (c) => c.notNull())
        .addColumn('queued_at', 'bigint', (c) => c.notNull())
        .addColumn('answered_at', 'bigint')
        .addColumn('ended_at', 'bigint')
        .addColumn('waited_ms', 'bigint')
        .addColumn('outcome', 'text')
        .addColumn('agent', 'text')
        .addColumn('call_id', 'text')
        .addColumn('offers', 'text', (c) => c.notNull())
        .addColumn('transfers', 'text', (c) => c.notNull())
        .addColumn('node', 'text', (c) => c.notNull())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('queue_entries_newest').on('queue_entries').columns(['entered_at', 'entry_id']).execute();
      await db.schema.createIndex('queue_entries_queue').on('queue_entries').columns(['queue', 'entered_at', 'entry_id']).execute();
      await db.schema.createIndex('queue_entries_customer').on('queue_entries').columns(['customer', 'entered_at', 'entry_id']).execute();
      await db.schema.createIndex('queue_entries_agent').on('queue_entries').columns(['agent', 'entered_at', 'entry_id']).execute();
      await db.schema
        .createIndex('queue_entries_open')
        .on('queue_entries')
        .column('entry_id')
        .where(sql.ref('ended_at'), 'is', null)
        .execute();
      for (const column of ['queue', 'entry_id', 'disposition', 'notes', 'rating_comment'] as const) {
        await db.schema.alterTable('call_records').addColumn(column, 'text').execute();
      }
      for (const column of ['rating_score', 'rated_at', 'wrapped_up_at'] as const) {
        await db.schema.alterTable('call_records').addColumn(column, 'bigint').execute();
      }
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('queue_entries').execute();
      await db.schema.dropTable('queues').execute();
    },
  },
  '0003_queue_records': {
    async up(db: Kysely<unknown>): Promise<void> {
      // Recovery's guess at an entry's end is marked, so that another node's real end may replace it.
      await db.schema.alterTable('queue_entries').addColumn('ended_by', 'text').execute();
      // The stats of one queue since a time, and the handle times of its last calls.
      await db.schema.createIndex('queue_entries_queue_ended').on('queue_entries').columns(['queue', 'ended_at']).execute();
      await db.schema.createIndex('queue_entries_first_queue').on('queue_entries').columns(['first_queue', 'entered_at']).execute();
      await db.schema.createIndex('call_records_queue_ended').on('call_records').columns(['queue', 'ended_at']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('call_records_queue_ended').execute();
      await db.schema.dropIndex('queue_entries_first_queue').execute();
      await db.schema.dropIndex('queue_entries_queue_ended').execute();
      await db.schema.alterTable('queue_entries').dropColumn('ended_by').execute();
    },
  },
  '0005_device_waits': {
    async up(db: Kysely<unknown>): Promise<void> {
      // A REQUEST that waited for a device of the callee (docs/records.md), and which device answered.
      await db.schema.alterTable('call_records').addColumn('pushed', 'bigint').execute();
      await db.schema.alterTable('call_records').addColumn('woke_after_ms', 'bigint').execute();
      await db.schema.alterTable('call_records').addColumn('answered_on', 'text').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const column of ['answered_on', 'woke_after_ms', 'pushed']) await db.schema.alterTable('call_records').dropColumn(column).execute();
    },
  },
  '0006_call_parties': {
    async up(db: Kysely<unknown>): Promise<void> {
      // A user's history is "caller = u OR callee = u" on call_records, which no index serves in
      // order: one row per party makes it one range of one index.
      await db.schema
        .createTable('call_parties')
        .addColumn('call_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('requested_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('call_parties_pk', ['call_id', 'user_id'])
        .execute();
      await sql`insert into call_parties (call_id, user_id, requested_at)
        select call_id, caller, requested_at from call_records
        union select call_id, callee, requested_at from call_records`.execute(db);
      await db.schema.createIndex('call_parties_user').on('call_parties').columns(['user_id', 'requested_at', 'call_id']).execute();
      // Retention purges the oldest ended records, and their queue entries, on these.
      await db.schema.createIndex('call_records_ended').on('call_records').column('ended_at').execute();
      await db.schema.createIndex('queue_entries_ended').on('queue_entries').column('ended_at').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('queue_entries_ended').execute();
      await db.schema.dropIndex('call_records_ended').execute();
      await db.schema.dropTable('call_parties').execute();
    },
  },
};

export const recordMigrations: MigrationProvider = {
  getMigrations: async () => migrations,
};
