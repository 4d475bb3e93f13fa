import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import { RECOVERY, type QueueEntryRow, type RecordsSchema } from './schema.js';

/** Newest first: a page starts after this entry. */
export interface EntryPosition {
  enteredAt: number;
  entryId: string;
}

export interface EntryQuery {
  /** The queue it is in, or ended in. */
  queue?: string;
  customer?: string;
  agent?: string;
  /** Entries this user was in, as customer or agent (a user token's own entries). */
  party?: string;
  outcomes?: readonly string[];
  after?: EntryPosition;
  limit: number;
}

/** Rows per statement, well under both databases' limits on bound parameters. */
const IDS_PER_STATEMENT = 400;

/** The queue entry records: what the writer wrote, read back for the API and closed by recovery. */
export class QueueEntryStore {
  /** `reads`: where list and get run (the records' reader thread for a SQLite file). */
  constructor(
    private readonly db: Kysely<RecordsSchema>,
    private readonly reads: Kysely<RecordsSchema> = db,
  ) {}

  /** Entries matching `query`, newest first (by time of entry, then entry id). */
  async list(query: EntryQuery): Promise<QueueEntryRow[]> {
    let select = this.reads.selectFrom('queue_entries').selectAll();
    const { queue, customer, agent, party, outcomes, after } = query;
    if (queue !== undefined) select = select.where('queue', '=', queue);
    if (customer !== undefined) select = select.where('customer', '=', customer);
    if (agent !== undefined) select = select.where('agent', '=', agent);
    if (party !== undefined) select = select.where((eb) => eb.or([eb('customer', '=', party), eb('agent', '=', party)]));
    if (outcomes && outcomes.length > 0) select = select.where('outcome', 'in', outcomes);
    if (after) {
      select = select.where((eb): Expression<SqlBool> =>
        eb.or([
          eb('entered_at', '<', after.enteredAt),
          eb.and([eb('entered_at', '=', after.enteredAt), eb('entry_id', '<', after.entryId)]),
        ]),
      );
    }
    return select.orderBy('entered_at', 'desc').orderBy('entry_id', 'desc').limit(query.limit).execute();
  }

  async get(entryId: string): Promise<QueueEntryRow | undefined> {
    return this.reads.selectFrom('queue_entries').selectAll().where('entry_id', '=', entryId).executeTakeFirst();
  }

  /** Entries that have not ended, oldest first. */
  async openEntries(): Promise<Pick<QueueEntryRow, 'entry_id'>[]> {
    return this.db.selectFrom('queue_entries').select(['entry_id']).where('ended_at', 'is', null).orderBy('entered_at').execute();
  }

  /**
   * Ends open entries as `closed` at `at`, marked as recovery's (a real end written later replaces
   * it); returns how many it changed.
   */
  async closeOpen(entryIds: readonly string[], at: number): Promise<number> {
    let changed = 0;
    for (let i = 0; i < entryIds.length; i += IDS_PER_STATEMENT) {
      const result = await this.db
        .updateTable('queue_entries')
        .set({
          state: 'ended',
          outcome: 'closed',
          ended_at: at,
          waited_ms: sql<number>`coalesce(answered_at, cast(${at} as bigint)) - entered_at`,
          ended_by: RECOVERY,
          updated_at: at,
        })
        .where('entry_id', 'in', entryIds.slice(i, i + IDS_PER_STATEMENT))
        .where('ended_at', 'is', null)
        .executeTakeFirst();
      changed += Number(result.numUpdatedRows);
    }
    return changed;
  }
}
