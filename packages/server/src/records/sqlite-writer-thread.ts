import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CallRecordRow } from './schema.js';
import { preparedUpsert, tuneSqlite, type CompiledUpsert } from './sqlite-upsert.js';

/** The thread that writes call records into a SQLite file, off the server's event loop. */
const { path, upsert } = workerData as { path: string; upsert: CompiledUpsert };
const database = new Database(path);
tuneSqlite(database);
const write = preparedUpsert(database, upsert);

parentPort?.on('message', (message: { id: number; rows: CallRecordRow[] } | { close: true }) => {
  if ('close' in message) {
    database.close();
    parentPort?.close();
    return;
  }
  try {
    write(message.rows);
    parentPort?.postMessage({ id: message.id });
  } catch (error) {
    parentPort?.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
