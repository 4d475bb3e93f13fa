import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * The thread that answers the records' reads (history pages, entries, statistics) from a SQLite
 * file, off the server's event loop. Its connection is read-only: the writes have a thread of
 * their own (sqlite-writer-thread.ts).
 */
const { path } = workerData as { path: string };
const database = new Database(path, { readonly: true, fileMustExist: true });
database.pragma('busy_timeout = 5000');
const statements = new Map<string, Database.Statement>();

parentPort?.on('message', (message: { id: number; sql: string; parameters: unknown[] } | { close: true }) => {
  if ('close' in message) {
    database.close();
    parentPort?.close();
    return;
  }
  try {
    let statement = statements.get(message.sql);
    if (!statement) {
      statement = database.prepare(message.sql);
      if (statements.size < 500) statements.set(message.sql, statement);
    }
    if (!statement.reader) throw new Error('the records reader thread only reads');
    parentPort?.postMessage({ id: message.id, result: statement.all(message.parameters) });
  } catch (error) {
    parentPort?.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
