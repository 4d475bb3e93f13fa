import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { RecordBatch } from './record-batch.js';
import type { CompiledStatements } from './record-statements.js';
import { sqlitePurger } from './sqlite-purge.js';
import { preparedBatchWriter, tuneSqlite } from './sqlite-upsert.js';

/** The thread that writes record batches (calls, queue entries, wrap-ups) into a SQLite file, off the server's event loop. */
const { path, statements } = workerData as { path: string; statements: CompiledStatements };
const database = new Database(path);
tuneSqlite(database);
const write = preparedBatchWriter(database, statements);
const purge = sqlitePurger(database);

type Message = { id: number; batch: RecordBatch } | { id: number; purge: { before: number; limit: number } } | { close: true };

parentPort?.on('message', (message: Message) => {
  if ('close' in message) {
    database.close();
    parentPort?.close();
    return;
  }
  try {
    if ('purge' in message) {
      parentPort?.postMessage({ id: message.id, result: purge(message.purge.before, message.purge.limit) });
      return;
    }
    write(message.batch);
    parentPort?.postMessage({ id: message.id });
  } catch (error) {
    parentPort?.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
