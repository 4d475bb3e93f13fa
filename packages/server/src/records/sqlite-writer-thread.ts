import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { RecordBatch } from './record-batch.js';
import type { CompiledStatements } from './record-statements.js';
import { preparedBatchWriter, tuneSqlite } from './sqlite-upsert.js';

/** The thread that writes record batches (calls, queue entries, wrap-ups) into a SQLite file, off the server's event loop. */
const { path, statements } = workerData as { path: string; statements: CompiledStatements };
const database = new Database(path);
tuneSqlite(database);
const write = preparedBatchWriter(database, statements);

parentPort?.on('message', (message: { id: number; batch: RecordBatch } | { close: true }) => {
  if ('close' in message) {
    database.close();
    parentPort?.close();
    return;
  }
  try {
    write(message.batch);
    parentPort?.postMessage({ id: message.id });
  } catch (error) {
    parentPort?.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
