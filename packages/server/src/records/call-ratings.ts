import type { Kysely } from 'kysely';
import { ErrorCode, QueueLimits } from '@callgate/protocol';
import type { CallRatings } from '../gateway/contact-centre-messages.js';
import type { TakenRating } from '../business/queue-notices.js';
import type { RecordWriter } from './record-writer.js';
import type { RecordsSchema } from './schema.js';

/** How long a rating waits for the call's record to show its end (it may be queued here, or on the node that ended it). */
const SETTLE_MS = 2000;
const POLL_MS = 50;

/**
 * Customers' ratings of served queue calls, kept with the call record: once per call, by its
 * customer (the caller of a queue call), within 10 minutes of its end.
 */
export class CallRatingStore implements CallRatings {
  private readonly listeners: ((rating: TakenRating) => void)[] = [];

  constructor(
    private readonly db: Kysely<RecordsSchema>,
    private readonly writer: Pick<RecordWriter, 'settled'>,
    private readonly now: () => number = Date.now,
  ) {}

  async rate(rating: { callId: string; customer: string; score: number; comment: string }): Promise<number> {
    const deadline = this.now() + SETTLE_MS;
    await this.writer.settled(SETTLE_MS);
    for (;;) {
      const code = await this.tryRate(rating);
      if (code !== ErrorCode.RATING_NOT_ALLOWED || this.now() >= deadline || !(await this.mayStillEnd(rating))) return code;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Whether the record is missing or not ended yet, so that another node's write may still come. */
  private async mayStillEnd(rating: { callId: string; customer: string }): Promise<boolean> {
    const row = await this.db.selectFrom('call_records').select(['caller', 'ended_at']).where('call_id', '=', rating.callId).executeTakeFirst();
    return !row || (row.caller === rating.customer && row.ended_at === null);
  }

  private async tryRate(rating: { callId: string; customer: string; score: number; comment: string }): Promise<number> {
    const at = this.now();
    const result = await this.db
      .updateTable('call_records')
      .set({ rating_score: rating.score, rating_comment: rating.comment, rated_at: at })
      .where('call_id', '=', rating.callId)
      .where('caller', '=', rating.customer)
      .where('queue', 'is not', null)
      .where('started_at', 'is not', null)
      .where('ended_at', '>=', at - QueueLimits.RATING_WINDOW_MS)
      .where('rating_score', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) > 0) {
      await this.told({ ...rating, at });
      return 0;
    }
    const row = await this.db
      .selectFrom('call_records')
      .select(['caller', 'queue', 'started_at', 'ended_at', 'rating_score'])
      .where('call_id', '=', rating.callId)
      .executeTakeFirst();
    if (!row || row.caller !== rating.customer || row.queue === null || row.started_at === null || row.ended_at === null) {
      return ErrorCode.RATING_NOT_ALLOWED;
    }
    if (row.rating_score !== null) return ErrorCode.ALREADY_RATED;
    return ErrorCode.RATING_CLOSED;
  }

  /** Hears every rating taken (for the business server's `rated` step). */
  onRated(listener: (rating: TakenRating) => void): void {
    this.listeners.push(listener);
  }

  private async told(rating: Omit<TakenRating, 'queue' | 'entryId' | 'agent'>): Promise<void> {
    if (this.listeners.length === 0) return;
    const row = await this.db
      .selectFrom('call_records')
      .select(['queue', 'entry_id', 'callee'])
      .where('call_id', '=', rating.callId)
      .executeTakeFirst()
      .catch(() => undefined);
    const taken = { ...rating, queue: row?.queue ?? '', entryId: row?.entry_id ?? '', agent: row?.callee ?? '' };
    for (const listener of this.listeners) {
      try {
        listener(taken);
      } catch {
        // A listener's failure is its own; the rating was taken.
      }
    }
  }
}
