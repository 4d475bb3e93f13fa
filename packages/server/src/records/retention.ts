import type { Logger } from 'pino';

/** What one purge step (or a whole purge) removed. */
export interface Purged {
  calls: number;
  entries: number;
}

export interface RecordRetentionOptions {
  store: { purge(before: number, limit: number): Promise<Purged> };
  /** Records that ended longer ago than this are removed. */
  retentionMs: number;
  logger: Logger;
  /** Rows of each kind per step (one transaction). Default 500. */
  batchRows?: number;
  /** How often a purge runs after the one at start. Default hourly. */
  intervalMs?: number;
  now?: () => number;
}

const HOUR_MS = 3_600_000;

/**
 * The records' retention (`--records-retention`): once at start and then every hour, removes the
 * call records and queue entries that ended more than the retention ago, in small steps (500 rows
 * each, one transaction, the event loop free between two), never on the call path.
 */
export class RecordRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Purged> | undefined;
  private closed = false;
  private readonly batchRows: number;
  private readonly now: () => number;

  constructor(private readonly options: RecordRetentionOptions) {
    this.batchRows = options.batchRows ?? 500;
    this.now = options.now ?? Date.now;
  }

  /** Purges once now (in the background) and then every interval. */
  start(): void {
    const run = (): void => void this.purge().catch((error: unknown) => this.options.logger.warn({ err: error }, 'records retention: purge failed; next try in an hour'));
    setImmediate(run);
    this.timer = setInterval(run, this.options.intervalMs ?? HOUR_MS);
    this.timer.unref();
  }

  /** One purge to the end: step after step until a step finds less than a batch. Joins a purge already running. */
  purge(): Promise<Purged> {
    this.running ??= this.purgeAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async purgeAll(): Promise<Purged> {
    const before = this.now() - this.options.retentionMs;
    const total: Purged = { calls: 0, entries: 0 };
    while (!this.closed) {
      const step = await this.options.store.purge(before, this.batchRows);
      total.calls += step.calls;
      total.entries += step.entries;
      if (step.calls < this.batchRows && step.entries < this.batchRows) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (total.calls + total.entries > 0) {
      this.options.logger.info({ ...total, before: new Date(before).toISOString() }, `records retention: removed ${total.calls} call record(s) and ${total.entries} queue entry record(s) that ended before ${new Date(before).toISOString()}`);
    }
    return total;
  }

  /** Stops the timer and waits for a purge that runs (it stops after its current step). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running?.catch(() => {});
  }
}
