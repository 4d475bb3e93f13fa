import type Database from 'better-sqlite3';
import type { Purged } from './retention.js';

/**
 * One step of the records' retention on SQLite, in one transaction: the oldest `limit` ended call
 * records that ended before `before` (with their party rows; a rating and a wrap-up are columns of
 * the record and go with it), and the oldest `limit` ended queue entries. Run by the writer
 * thread for a file, so that it is serialized with the writes and off the event loop.
 */
export function sqlitePurger(database: Database.Database): (before: number, limit: number) => Purged {
  const oldCalls = database.prepare('select call_id from call_records where ended_at < ? order by ended_at limit ?').pluck();
  const dropParties = database.prepare('delete from call_parties where call_id in (select value from json_each(?))');
  const dropCalls = database.prepare('delete from call_records where call_id in (select value from json_each(?))');
  const oldEntries = database.prepare('select entry_id from queue_entries where ended_at < ? order by ended_at limit ?').pluck();
  const dropEntries = database.prepare('delete from queue_entries where entry_id in (select value from json_each(?))');
  return database.transaction((before: number, limit: number): Purged => {
    const calls = JSON.stringify(oldCalls.all(before, limit));
    dropParties.run(calls);
    const callsDropped = dropCalls.run(calls).changes;
    const entries = JSON.stringify(oldEntries.all(before, limit));
    return { calls: callsDropped, entries: dropEntries.run(entries).changes };
  });
}
