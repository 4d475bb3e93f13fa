import type { Kysely } from 'kysely';
import type { Queue } from '@callgate/protocol';
import type { QueueStore } from '../queues/queue-directory.js';
import { queueOf } from '../queues/queue-file.js';
import type { RecordsSchema } from './schema.js';

/** Queue definitions in the records database: one row per queue, its definition as JSON. */
export class QueueDefinitions implements QueueStore {
  constructor(private readonly db: Kysely<RecordsSchema>) {}

  async listQueues(): Promise<Queue[]> {
    const rows = await this.db.selectFrom('queues').selectAll().orderBy('queue_id').execute();
    return rows.flatMap((row) => {
      try {
        return [queueOf(row.queue_id, JSON.parse(row.definition))];
      } catch {
        return []; // A row another version wrote that this one cannot read is skipped, not fatal.
      }
    });
  }

  async putQueue(queue: Queue, at: number): Promise<void> {
    const { id, ...definition } = queue;
    const row = { queue_id: id, definition: JSON.stringify(definition), updated_at: at };
    await this.db
      .insertInto('queues')
      .values(row)
      .onConflict((conflict) => conflict.column('queue_id').doUpdateSet({ definition: row.definition, updated_at: at }))
      .execute();
  }

  async deleteQueue(queueId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('queues').where('queue_id', '=', queueId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
