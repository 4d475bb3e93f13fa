import type { Logger } from 'pino';
import type { CallTransition } from '../calls/types.js';
import type { QueueTransition } from '../queues/types.js';
import type { StateBackend } from '../state/backend.js';
import { QueueEntryStore } from './queue-entry-store.js';
import { CallRecordStore } from './record-store.js';
import { RecordWriter, type RecordWriterObserver } from './record-writer.js';
import { closeStaleEntries, closeStaleRecords } from './recovery.js';

export interface CallRecordsOptions {
  /** A SQLite file path, ":memory:", or a postgres:// URL. */
  db: string;
  backend: StateBackend;
  logger: Logger;
  observer?: RecordWriterObserver;
}

/** The call and queue entry records of one server: the database, the write queue, and recovery at start. */
export class CallRecords {
  private constructor(
    readonly store: CallRecordStore,
    readonly entries: QueueEntryStore,
    readonly writer: RecordWriter,
  ) {}

  /** Opens the database, applies migrations and closes the records a crashed process left open. */
  static async open(options: CallRecordsOptions): Promise<CallRecords> {
    const logger = options.logger.child({ component: 'records' });
    const store = await CallRecordStore.open(options.db, (error) => logger.warn({ err: error }, 'records database connection lost'));
    const entries = new QueueEntryStore(store.database, store.reads);
    try {
      const now = Date.now();
      const closed = await closeStaleRecords(store, options.backend, now);
      if (closed > 0) logger.warn({ closed }, `closed ${closed} call record(s) left open by a previous run as disconnected`);
      const closedEntries = await closeStaleEntries(entries, options.backend, now);
      if (closedEntries > 0) logger.warn({ closed: closedEntries }, `closed ${closedEntries} queue entry record(s) left open by a previous run as closed`);
    } catch (error) {
      await store.close().catch(() => {});
      throw new Error(`cannot recover open call records (${store.description}): ${(error as Error).message}`, { cause: error });
    }
    const writer = new RecordWriter({
      sink: store,
      logger,
      node: options.backend.node,
      ...(options.observer ? { observer: options.observer } : {}),
    });
    logger.info({ db: store.description }, `call records in ${store.description}`);
    return new CallRecords(store, entries, writer);
  }

  record(transition: CallTransition): void {
    this.writer.record(transition);
  }

  /** A queue transition: its entry's record, or a wrap-up into its call's record. */
  recordQueue(transition: QueueTransition): void {
    this.writer.recordQueue(transition);
  }

  /** Writes every queued record, then closes the database. */
  async close(): Promise<void> {
    await this.writer.close();
    await this.store.close();
  }
}
