import type { Logger } from 'pino';
import type { CallTransition } from '../calls/types.js';
import type { StateBackend } from '../state/backend.js';
import { CallRecordStore } from './record-store.js';
import { RecordWriter, type RecordWriterObserver } from './record-writer.js';
import { closeStaleRecords } from './recovery.js';

export interface CallRecordsOptions {
  /** A SQLite file path, ":memory:", or a postgres:// URL. */
  db: string;
  backend: StateBackend;
  logger: Logger;
  observer?: RecordWriterObserver;
}

/** The call records of one server: the database, the write queue, and recovery at start. */
export class CallRecords {
  private constructor(
    readonly store: CallRecordStore,
    readonly writer: RecordWriter,
  ) {}

  /** Opens the database, applies migrations and closes the records a crashed process left open. */
  static async open(options: CallRecordsOptions): Promise<CallRecords> {
    const logger = options.logger.child({ component: 'records' });
    const store = await CallRecordStore.open(options.db, (error) => logger.warn({ err: error }, 'records database connection lost'));
    try {
      const closed = await closeStaleRecords(store, options.backend, Date.now());
      if (closed > 0) logger.warn({ closed }, `closed ${closed} call record(s) left open by a previous run as disconnected`);
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
    return new CallRecords(store, writer);
  }

  record(transition: CallTransition): void {
    this.writer.record(transition);
  }

  /** Writes every queued record, then closes the database. */
  async close(): Promise<void> {
    await this.writer.close();
    await this.store.close();
  }
}
