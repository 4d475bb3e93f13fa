import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ErrorCode, endsCall, type BusinessEventMessage } from '@callgate/protocol';
import type { CallRecord, CallTransition } from '../calls/types.js';
import { requestStepOf } from '../calls/draft.js';
import type { Switchboard } from '../switchboard.js';
import type { BusinessRoute } from './business-route.js';
import { noticeOf, type CallNotice } from './call-notices.js';
import type { Webhooks } from './webhook-sender.js';

export interface BusinessHookOptions {
  switchboard: Switchboard;
  logger: Logger;
  /** How events reach business links, when a business secret is configured. */
  route: BusinessRoute | null;
  webhooks: Webhooks | null;
  /** Longest wait for a REQUEST decision. */
  decisionTimeoutMs: number;
  /** Let the call ring when the decision fails or times out (instead of BUSINESS_UNAVAILABLE). */
  failOpen: boolean;
}

/**
 * Tells business servers (links and webhooks) every call event and asks them about each REQUEST.
 * The switchboard waits for a decision only while someone can give one: a link is connected or
 * the webhook vetoes; otherwise the core decides alone.
 */
export class BusinessHook {
  /** REQUESTs whose event waits to learn whether it is asked (authorizer) or told (ringing). */
  private readonly requests = new Map<string, CallNotice>();
  private closed = false;

  constructor(private readonly options: BusinessHookOptions) {
    options.switchboard.onTransition((transition) => this.transition(transition));
    options.route?.onLinksChanged(() => this.updateAuthorizer());
    this.updateAuthorizer();
  }

  close(): void {
    this.closed = true;
    this.options.switchboard.setAuthorizer(null);
    this.options.webhooks?.close();
  }

  private updateAuthorizer(): void {
    const { route, webhooks, switchboard } = this.options;
    const canDecide = !this.closed && ((route?.linkCount ?? 0) > 0 || webhooks?.veto === true);
    switchboard.setAuthorizer(canDecide ? (call) => this.authorize(call) : null);
  }

  private transition(transition: CallTransition): void {
    if (this.closed) return;
    const { callId } = transition.call;
    if (transition.type === 'requested') {
      this.requests.set(callId, noticeOf(transition));
      return;
    }
    const request = this.requests.get(callId);
    if (request) {
      this.requests.delete(callId);
      this.publish(request);
    }
    this.publish(noticeOf(transition));
  }

  private publish(notice: CallNotice): void {
    const event: BusinessEventMessage = { type: 'event', ...notice, id: randomUUID(), decide: false };
    this.options.route?.notify(event, endsCall(notice));
    this.options.webhooks?.notify(event);
  }

  private async authorize(call: CallRecord): Promise<number> {
    const notice = this.requests.get(call.callId) ?? noticeOf({ type: 'requested', call, at: call.requestedAt, step: requestStepOf(call) });
    this.requests.delete(call.callId);
    const event: BusinessEventMessage = { type: 'event', ...notice, id: randomUUID(), decide: true };
    const { route, webhooks, decisionTimeoutMs } = this.options;
    const decisions: Promise<number>[] = [];
    if (route && route.linkCount > 0) {
      decisions.push(
        route.decide(event).then((ack) => {
          if (ack.error !== undefined) throw new Error(`the business server failed: ${ack.error}`);
          if (ack.errorCode === undefined) throw new Error('the business server acknowledged a REQUEST without a decision');
          return ack.errorCode;
        }),
      );
    } else {
      route?.notify({ ...event, decide: false }, false);
    }
    if (webhooks?.veto) decisions.push(webhooks.decide(event, decisionTimeoutMs).then((answer) => answer.errorCode));
    else webhooks?.notify(event);

    const outcome = await firstRefusal(decisions, decisionTimeoutMs);
    route?.decided(event.id);
    if (typeof outcome === 'number') return outcome;
    const code = this.options.failOpen ? 0 : ErrorCode.BUSINESS_UNAVAILABLE;
    this.options.logger.warn(
      { callId: call.callId, caller: call.caller, callee: call.callee, reason: outcome.failed, code },
      this.options.failOpen ? 'no business decision; the call rings (fail-open)' : 'no business decision; the call is refused',
    );
    return code;
  }
}

/**
 * The first non-zero code among `decisions`, or 0 once all allowed; a failure or the timeout
 * before that ends the wait.
 */
export function firstRefusal(decisions: Promise<number>[], timeoutMs: number): Promise<number | { failed: string }> {
  if (decisions.length === 0) return Promise.resolve(0);
  return new Promise((resolve) => {
    let waiting = decisions.length;
    const timer = setTimeout(() => resolve({ failed: `no decision within ${timeoutMs} ms` }), timeoutMs);
    timer.unref();
    const settle = (outcome: number | { failed: string }): void => {
      clearTimeout(timer);
      resolve(outcome);
    };
    for (const decision of decisions) {
      decision.then(
        (code) => {
          if (code !== 0) settle(code);
          else if (--waiting === 0) settle(0);
        },
        (error: unknown) => settle({ failed: error instanceof Error ? error.message : String(error) }),
      );
    }
  });
}
