import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { RecordsSchema } from './schema.js';

/** How often the averages are read again, and over how many of each queue's last served calls. */
export const HANDLE_TIMES_REFRESH_MS = 30_000;
export const HANDLE_TIMES_CALLS = 50;

/**
 * Each queue's recent average handle time, for the customers' estimated wait
 * (queues/entry-positions.ts): the talk time of its last 50 served calls, read from the call
 * records for every queue in one query every 30 s. A queue that has served nobody has none (the
 * estimate then assumes DEFAULT_HANDLE_MS).
 */
export class HandleTimes {
  private averages = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<RecordsSchema>,
    private readonly logger: Logger,
    private readonly refreshMs = HANDLE_TIMES_REFRESH_MS,
  ) {}

  /** What EntryPositions takes. */
  readonly of = (queue: string): number | undefined => this.averages.get(queue);

  /** Reads the averages now, then every `refreshMs`. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  /** Reads the averages again (a failure keeps the last ones, and is logged). */
  refresh(): Promise<void> {
    this.reading ??= this.read().finally(() => (this.reading = undefined));
    return this.reading;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.reading;
  }

  private async read(): Promise<void> {
    try {
      // Per defined queue, a correlated subquery takes its last calls off the (queue, ended_at) index.
      const rows = await this.db
        .selectFrom('queues')
        .select((eb) => [
          'queue_id',
          eb
            .selectFrom((inner) =>
              inner
                .selectFrom('call_records')
                .select('duration_ms')
                .whereRef('call_records.queue', '=', 'queues.queue_id')
                .where('ended_at', 'is not', null)
                .where('started_at', 'is not', null)
                .where('outcome', '<>', 'transferred')
                .orderBy('ended_at', 'desc')
                .limit(HANDLE_TIMES_CALLS)
                .as('recent'),
            )
            .select(sql<number | null>`avg(duration_ms)`.as('average'))
            .as('average'),
        ])
        .execute();
      const averages = new Map<string, number>();
      for (const row of rows) if (row.average !== null) averages.set(row.queue_id, Math.round(Number(row.average)));
      this.averages = averages;
    } catch (error) {
      this.logger.warn({ err: error }, 'cannot read the queues\u2019 handle times; keeping the last ones');
    }
  }
}
