import { sql, type Kysely } from 'kysely';
import type { Queue } from '@callgate/protocol';
import type { RecordsSchema } from './schema.js';

/** What the records say about one queue since a time (docs/records.md, "Queue statistics"). */
export interface QueueRecordFigures {
  /** Customers who first entered this queue since then. */
  entered: number;
  /** Entries that ended in this queue since then, by outcome. */
  served: number;
  abandoned: number;
  timeout: number;
  closed: number;
  /** Transfers out of this queue's calls since then (to another queue or to a named agent). */
  transferred: number;
  /** Of the entries that ended since then, those an agent answered: their average `waited_ms`. */
  averageWaitMs: number | null;
  /** Talk time of this queue's served calls that ended since then, on average. */
  averageHandleMs: number | null;
  /** Entries answered within the queue's service-level target ÷ entries that ended (null when none ended). */
  serviceLevel: number | null;
  /** The two terms of the service level. */
  answeredInTarget: number;
  ended: number;
}

/** SQLite returns numbers; PostgreSQL returns sums and averages (numeric) as strings. */
const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

/** Three aggregate queries over the indexes (queue, ended_at) and (first_queue, entered_at). */
export async function queueRecordFigures(db: Kysely<RecordsSchema>, queue: Queue, since: number): Promise<QueueRecordFigures> {
  const targetMs = Math.round(queue.serviceLevel * 1000);
  const [entered, ended, calls] = await Promise.all([
    db
      .selectFrom('queue_entries')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('first_queue', '=', queue.id)
      .where('entered_at', '>=', since)
      .executeTakeFirst(),
    db
      .selectFrom('queue_entries')
      .select((eb) => [
        'outcome',
        eb.fn.countAll().as('n'),
        sql<number>`sum(case when answered_at is not null then 1 else 0 end)`.as('answered'),
        sql<number>`sum(case when answered_at is not null then waited_ms else 0 end)`.as('waited'),
        sql<number>`sum(case when answered_at is not null and waited_ms <= ${targetMs} then 1 else 0 end)`.as('in_target'),
      ])
      .where('queue', '=', queue.id)
      .where('ended_at', '>=', since)
      .groupBy('outcome')
      .execute(),
    db
      .selectFrom('call_records')
      .select([
        sql<number>`sum(case when outcome = 'transferred' then 1 else 0 end)`.as('transferred'),
        sql<number>`sum(case when outcome <> 'transferred' and started_at is not null then 1 else 0 end)`.as('served'),
        sql<number>`sum(case when outcome <> 'transferred' and started_at is not null then duration_ms else 0 end)`.as('talked'),
      ])
      .where('queue', '=', queue.id)
      .where('ended_at', '>=', since)
      .executeTakeFirst(),
  ]);
  const byOutcome = new Map(ended.map((row) => [row.outcome, num(row.n)]));
  let endedCount = 0;
  let answered = 0;
  let waited = 0;
  let inTarget = 0;
  for (const row of ended) {
    endedCount += num(row.n);
    answered += num(row.answered);
    waited += num(row.waited);
    inTarget += num(row.in_target);
  }
  const servedCalls = num(calls?.served);
  return {
    entered: num(entered?.n),
    served: byOutcome.get('served') ?? 0,
    abandoned: byOutcome.get('abandoned') ?? 0,
    timeout: byOutcome.get('timeout') ?? 0,
    closed: byOutcome.get('closed') ?? 0,
    transferred: num(calls?.transferred),
    averageWaitMs: answered === 0 ? null : Math.round(waited / answered),
    averageHandleMs: servedCalls === 0 ? null : Math.round(num(calls?.talked) / servedCalls),
    serviceLevel: endedCount === 0 ? null : inTarget / endedCount,
    answeredInTarget: inTarget,
    ended: endedCount,
  };
}
