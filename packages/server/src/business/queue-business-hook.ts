import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ErrorCode, type BusinessQueueEntryMessage, type BusinessQueueEventMessage } from '@callgate/protocol';
import type { EntryAuthorizer, EntryDecision, Switchboard } from '../switchboard.js';
import type { BusinessRoute } from './business-route.js';
import { queueNoticeOf, ratingNoticeOf, type QueueNotice, type TakenRating } from './queue-notices.js';
import type { Webhooks } from './webhook-sender.js';

/** Where ratings are taken; the hook hears each one. */
export interface RatingSource {
  onRated(listener: (rating: TakenRating) => void): void;
}

export interface QueueBusinessHookOptions {
  switchboard: Pick<Switchboard, 'onQueueTransition' | 'setEntryAuthorizer'>;
  logger: Logger;
  route: BusinessRoute | null;
  webhooks: Webhooks | null;
  ratings: RatingSource | undefined;
  /** Longest wait for an entry decision (the business timeout). */
  decisionTimeoutMs: number;
  /** Let the customer in when the decision fails or times out (instead of BUSINESS_UNAVAILABLE). */
  failOpen: boolean;
  now?: () => number;
}

type EntryRequest = Parameters<EntryAuthorizer>[0];

/**
 * The contact centre's side of the business link and the webhooks: every step of every queue
 * entry as a notification (in order per entry, through the same route as call events), and —
 * while a business server can answer — a decision on each customer entering a queue, in the
 * style of the REQUEST veto (docs/business.md, "Queue entries").
 */
export class QueueBusinessHook {
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: QueueBusinessHookOptions) {
    this.now = options.now ?? Date.now;
    options.switchboard.onQueueTransition((transition) => {
      const notice = queueNoticeOf(transition);
      if (notice) this.publish(notice);
    });
    options.ratings?.onRated((rating) => this.publish(ratingNoticeOf(rating)));
    options.route?.onLinksChanged(() => this.updateAuthorizer());
    this.updateAuthorizer();
  }

  close(): void {
    this.closed = true;
    this.options.switchboard.setEntryAuthorizer(null);
  }

  private updateAuthorizer(): void {
    const { route, webhooks, switchboard } = this.options;
    const canDecide = !this.closed && ((route?.linkCount ?? 0) > 0 || webhooks?.veto === true);
    switchboard.setEntryAuthorizer(canDecide ? (entry) => this.decide(entry) : null);
  }

  private publish(notice: QueueNotice): void {
    if (this.closed) return;
    const event: BusinessQueueEventMessage = { type: 'queue-event', id: randomUUID(), ...notice };
    this.options.route?.notify(event, false);
    this.options.webhooks?.notify(event);
  }

  private async decide(entry: EntryRequest): Promise<EntryDecision> {
    const event: BusinessQueueEntryMessage = { type: 'queue-entry', id: randomUUID(), ...entry, at: this.now() };
    const { route, webhooks, decisionTimeoutMs } = this.options;
    const decisions: Promise<EntryDecision>[] = [];
    if (route && route.linkCount > 0) {
      decisions.push(
        route.decide(event).then((ack) => {
          if (ack.error !== undefined) throw new Error(`the business server failed: ${ack.error}`);
          if (ack.errorCode === undefined) throw new Error('the business server acknowledged a queue entry without a decision');
          return { code: ack.errorCode, ...(ack.priority !== undefined ? { priority: ack.priority } : {}) };
        }),
      );
    }
    if (webhooks?.veto) {
      decisions.push(
        webhooks.decide(event, decisionTimeoutMs).then((answer) => ({
          code: answer.errorCode,
          ...(answer.priority !== undefined ? { priority: answer.priority } : {}),
        })),
      );
    }
    const outcome = await combined(decisions, decisionTimeoutMs);
    route?.decided(event.id);
    if ('code' in outcome) return outcome;
    const code = this.options.failOpen ? 0 : ErrorCode.BUSINESS_UNAVAILABLE;
    this.options.logger.warn(
      { customer: entry.customer, queue: entry.queue, reason: outcome.failed, code },
      this.options.failOpen ? 'no business decision on a queue entry; the customer enters (fail-open)' : 'no business decision on a queue entry; refused',
    );
    return { code };
  }
}

/**
 * The first refusal among `decisions`, or — once all allowed — an allowance with the priority
 * the first of them gave; a failure or the timeout before that ends the wait.
 */
function combined(decisions: Promise<EntryDecision>[], timeoutMs: number): Promise<EntryDecision | { failed: string }> {
  if (decisions.length === 0) return Promise.resolve({ code: 0 });
  return new Promise((resolve) => {
    const allowed: (EntryDecision | undefined)[] = decisions.map(() => undefined);
    let waiting = decisions.length;
    const timer = setTimeout(() => resolve({ failed: `no decision within ${timeoutMs} ms` }), timeoutMs);
    timer.unref();
    const settle = (outcome: EntryDecision | { failed: string }): void => {
      clearTimeout(timer);
      resolve(outcome);
    };
    decisions.forEach((decision, index) => {
      decision.then(
        (answer) => {
          if (answer.code !== 0) return settle({ code: answer.code });
          allowed[index] = answer;
          if (--waiting > 0) return;
          const priority = allowed.find((a) => a?.priority !== undefined)?.priority;
          settle({ code: 0, ...(priority !== undefined ? { priority } : {}) });
        },
        (error: unknown) => settle({ failed: error instanceof Error ? error.message : String(error) }),
      );
    });
  });
}
