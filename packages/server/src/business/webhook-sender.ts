import type { Logger } from 'pino';
import { webhookVetoAnswerSchema, type BusinessEvent } from '@callgate/protocol';
import { signWebhook, WebhookHeader } from '@callgate/protocol/signing';

export interface WebhookOptions {
  /** Where every call event is POSTed (http or https). */
  url: string;
  /** Key of the HMAC-SHA256 signature (header `callgate-signature`). */
  secret: string;
  /** REQUEST waits for the receiver's answer: a JSON body `{ "errorCode": N }` with N ≠ 0 refuses the call. */
  veto?: boolean;
  /** How long a notification is retried after its first attempt, in ms. Default 300 000. */
  retryForMs?: number;
  /** First delay between attempts, doubled after each failure up to 30 s. Default 500. */
  retryDelayMs?: number;
}

const MAX_RETRY_DELAY_MS = 30_000;
const ATTEMPT_TIMEOUT_MS = 10_000;
const MAX_QUEUED = 10_000;

interface Queued {
  event: BusinessEvent;
  /** For a veto REQUEST: receives the decision, or the reason there is none. */
  decision?: { timeoutMs: number; resolve(code: number): void; reject(error: Error): void };
  /** Runs once the event was delivered, or given up on. */
  done?: () => void;
}

/** What the business hook needs of webhooks, on one node or in a cluster. */
export type Webhooks = Pick<WebhookSender, 'veto' | 'notify' | 'decide' | 'close'>;

/**
 * POSTs call events to a webhook, signed. Events of one call go one at a time, in order; a
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

  /** Queues a notification; `done` runs once it was delivered or given up on. */
  notify(event: BusinessEvent, done?: () => void): void {
    if (!this.enqueue({ event: { ...event, decide: false }, ...(done ? { done } : {}) })) done?.();
  }

  /** Asks the webhook about a REQUEST: resolves to its code, rejects when it gives none in time. */
  decide(event: BusinessEvent, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      if (!this.enqueue({ event: { ...event, decide: true }, decision: { timeoutMs, resolve, reject } })) {
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
      this.logger.error({ eventId: item.event.id, callId: item.event.callId }, 'webhook queue full; event dropped');
      return false;
    }
    this.queued++;
    const queue = this.queues.get(item.event.callId);
    if (queue) {
      queue.push(item);
      return true;
    }
    const fresh = [item];
    this.queues.set(item.event.callId, fresh);
    void this.drain(item.event.callId, fresh);
    return true;
  }

  private async drain(callId: string, queue: Queued[]): Promise<void> {
    for (let item = queue[0]; item && !this.stop.signal.aborted; item = queue[0]) {
      if (item.decision) await this.ask(item.event, item.decision);
      else await this.deliver(item.event);
      queue.shift();
      this.queued--;
      if (!this.stop.signal.aborted) item.done?.();
    }
    this.queues.delete(callId);
  }

  private async ask(event: BusinessEvent, decision: NonNullable<Queued['decision']>): Promise<void> {
    try {
      const { status, body } = await this.post(event, decision.timeoutMs);
      if (status < 200 || status > 299) throw new Error(`webhook answered HTTP ${status}`);
      const answer = body.trim() === '' ? {} : webhookVetoAnswerSchema.parse(JSON.parse(body));
      decision.resolve(answer.errorCode ?? 0);
    } catch (error) {
      decision.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private async deliver(event: BusinessEvent): Promise<void> {
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
      const log = { eventId: event.id, callId: event.callId, attempt: attempt + 1, failure };
      if (Date.now() + delay - firstAttempt > this.retryForMs) {
        this.logger.error(log, 'webhook delivery failed; giving up on this event');
        return;
      }
      this.logger.warn({ ...log, retryInMs: delay }, 'webhook delivery failed; will retry');
      await this.pause(delay);
    }
  }

  private async post(event: BusinessEvent, timeoutMs: number): Promise<{ status: number; body: string }> {
    const body = JSON.stringify(event);
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
