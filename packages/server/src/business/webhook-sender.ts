import type { Logger } from 'pino';
import { orderKeyOf, webhookVetoAnswerSchema, type BusinessLinkEvent } from '@callgate/protocol';
import { signWebhook, WebhookHeader } from '@callgate/protocol/signing';

export interface WebhookOptions {
  /** Where every call event is POSTed (http or https). */
  url: string;
  /** Key of the HMAC-SHA256 signature (header `callgate-signature`). */
  secret: string;
  /** REQUEST waits for the receiver's answer: a JSON body `{ "errorCode": N }` with N ≠ 0 refuses the call. */
  veto?: boolean;
  /** POST `push` events too (docs/business.md, "Waking a callee"): a REQUEST to a user with no device waits for the user. */
  push?: boolean;
  /** How long a notification is retried after its first attempt, in ms. Default 300 000. */
  retryForMs?: number;
  /** First delay between attempts, doubled after each failure up to 30 s. Default 500. */
  retryDelayMs?: number;
}

const MAX_RETRY_DELAY_MS = 30_000;
const ATTEMPT_TIMEOUT_MS = 10_000;
const MAX_QUEUED = 10_000;

/** A webhook's decision: the code (0 allows) and, for a queue entry, the customer's priority. */
export interface WebhookDecision {
  errorCode: number;
  priority?: number;
}

interface Queued {
  event: BusinessLinkEvent;
  /** For a veto REQUEST or an entry decision: receives the decision, or the reason there is none. */
  decision?: { timeoutMs: number; resolve(answer: WebhookDecision): void; reject(error: Error): void };
  /** Runs once the event was delivered, or given up on. */
  done?: () => void;
}

/** What the business hook needs of webhooks, on one node or in a cluster. */
export type Webhooks = Pick<WebhookSender, 'veto' | 'push' | 'notify' | 'decide' | 'close'>;

/**
 * The body of a webhook: a call event as it always was (no `type`), an entry step or an entry
 * decision and a push with their `type` (`queue-event`, `queue-entry`, `push`), so that a receiver tells them apart.
 */
export function webhookBodyOf(event: BusinessLinkEvent): string {
  if (event.type !== 'event') return JSON.stringify(event);
  const { type: _type, ...callEvent } = event;
  return JSON.stringify(callEvent);
}

/**
 * POSTs call events and queue entry steps to a webhook, signed. Events of one call (or one
 * entry) go one at a time, in order; a
 * notification is retried with exponential backoff until it gets a 2xx or `retryForMs` runs out.
 * A veto REQUEST is sent once and its answer is the decision.
 */
export class WebhookSender {
  private readonly queues = new Map<string, Queued[]>();
  private queued = 0;
  private readonly stop = new AbortController();
  private readonly retryForMs: number;
  private readonly retryDelayMs: number;

  constructor(
    private readonly options: WebhookOptions,
    private readonly logger: Logger,
  ) {
    this.retryForMs = options.retryForMs ?? 300_000;
    this.retryDelayMs = options.retryDelayMs ?? 500;
  }

  get veto(): boolean {
    return this.options.veto === true;
  }

  get push(): boolean {
    return this.options.push === true;
  }

  /** Queues a notification; `done` runs once it was delivered or given up on. */
  notify(event: BusinessLinkEvent, done?: () => void): void {
    const told = event.type === 'event' ? { ...event, decide: false } : event;
    if (!this.enqueue({ event: told, ...(done ? { done } : {}) })) done?.();
  }

  /** Asks the webhook about a REQUEST or an entry: resolves to its answer, rejects when it gives none in time. */
  decide(event: BusinessLinkEvent, timeoutMs: number): Promise<WebhookDecision> {
    const asked = event.type === 'event' ? { ...event, decide: true } : event;
    return new Promise((resolve, reject) => {
      if (!this.enqueue({ event: asked, decision: { timeoutMs, resolve, reject } })) {
        reject(new Error('webhook queue full'));
      }
    });
  }

  /** Stops every delivery; undelivered events are dropped. */
  close(): void {
    if (this.stop.signal.aborted) return;
    this.stop.abort();
    if (this.queued > 0) this.logger.warn({ events: this.queued }, 'webhook events not delivered before shutdown');
  }

  private enqueue(item: Queued): boolean {
    if (this.stop.signal.aborted) return false;
    if (this.queued >= MAX_QUEUED) {
      this.logger.error({ eventId: item.event.id, key: orderKeyOf(item.event) }, 'webhook queue full; event dropped');
      return false;
    }
    this.queued++;
    const key = orderKeyOf(item.event);
    const queue = this.queues.get(key);
    if (queue) {
      queue.push(item);
      return true;
    }
    const fresh = [item];
    this.queues.set(key, fresh);
    void this.drain(key, fresh);
    return true;
  }

  private async drain(key: string, queue: Queued[]): Promise<void> {
    for (let item = queue[0]; item && !this.stop.signal.aborted; item = queue[0]) {
      if (item.decision) await this.ask(item.event, item.decision);
      else await this.deliver(item.event);
      queue.shift();
      this.queued--;
      if (!this.stop.signal.aborted) item.done?.();
    }
    this.queues.delete(key);
  }

  private async ask(event: BusinessLinkEvent, decision: NonNullable<Queued['decision']>): Promise<void> {
    try {
      const { status, body } = await this.post(event, decision.timeoutMs);
      if (status < 200 || status > 299) throw new Error(`webhook answered HTTP ${status}`);
      const answer = body.trim() === '' ? {} : webhookVetoAnswerSchema.parse(JSON.parse(body));
      decision.resolve({ errorCode: answer.errorCode ?? 0, ...(answer.priority !== undefined ? { priority: answer.priority } : {}) });
    } catch (error) {
      decision.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private async deliver(event: BusinessLinkEvent): Promise<void> {
    const firstAttempt = Date.now();
    for (let attempt = 0, delay = this.retryDelayMs; ; attempt++, delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS)) {
      let failure: string;
      try {
        const { status } = await this.post(event, ATTEMPT_TIMEOUT_MS);
        if (status >= 200 && status <= 299) return;
        failure = `HTTP ${status}`;
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
      if (this.stop.signal.aborted) return;
      const log = { eventId: event.id, key: orderKeyOf(event), attempt: attempt + 1, failure };
      if (Date.now() + delay - firstAttempt > this.retryForMs) {
        this.logger.error(log, 'webhook delivery failed; giving up on this event');
        return;
      }
      this.logger.warn({ ...log, retryInMs: delay }, 'webhook delivery failed; will retry');
      await this.pause(delay);
    }
  }

  private async post(event: BusinessLinkEvent, timeoutMs: number): Promise<{ status: number; body: string }> {
    const body = webhookBodyOf(event);
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(this.options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'callgate-webhook/1',
        [WebhookHeader.EVENT_ID]: event.id,
        [WebhookHeader.TIMESTAMP]: String(timestamp),
        [WebhookHeader.SIGNATURE]: signWebhook(body, this.options.secret, timestamp),
      },
      body,
      redirect: 'error',
      signal: AbortSignal.any([this.stop.signal, AbortSignal.timeout(timeoutMs)]),
    });
    return { status: response.status, body: await response.text() };
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const stop = this.stop.signal;
      function done(): void {
        clearTimeout(timer);
        stop.removeEventListener('abort', done);
        resolve();
      }
      stop.addEventListener('abort', done, { once: true });
    });
  }
}
