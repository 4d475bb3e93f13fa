import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { BusinessPushMessage } from '@callgate/protocol';
import type { Switchboard, Wake } from '../switchboard.js';
import type { BusinessRoute } from './business-route.js';
import type { Webhooks } from './webhook-sender.js';

export interface PushHookOptions {
  switchboard: Pick<Switchboard, 'setPusher'>;
  logger: Logger;
  route: BusinessRoute | null;
  webhooks: Webhooks | null;
}

/** The link event or webhook body of a wake (docs/business.md, "Waking a callee"). */
export function pushMessageOf(wake: Wake): BusinessPushMessage {
  const { call } = wake;
  return {
    type: 'push',
    id: randomUUID(),
    step: wake.type === 'push' ? 'wake' : 'cancelled',
    callId: call.callId,
    caller: call.caller,
    callee: call.callee,
    flags: call.flags,
    param: call.param,
    userStr: call.userStr,
    until: call.waking?.until ?? wake.at,
    at: wake.at,
  };
}

/**
 * Waking a callee with no device: while a business link that sends pushes is connected (anywhere
 * in the cluster) or the webhook takes pushes, the switchboard has a pusher, so a REQUEST to a
 * user with no device waits for it; each wake and its withdrawal go out as a `push` event.
 */
export class PushHook {
  private closed = false;

  constructor(private readonly options: PushHookOptions) {
    options.route?.onLinksChanged(() => this.update());
    this.update();
  }

  close(): void {
    this.closed = true;
    this.options.switchboard.setPusher(null);
  }

  private update(): void {
    const { route, webhooks, switchboard } = this.options;
    const canPush = !this.closed && ((route?.pushLinkCount ?? 0) > 0 || webhooks?.push === true);
    switchboard.setPusher(canPush ? (wake) => this.send(wake) : null);
  }

  private async send(wake: Wake): Promise<void> {
    const event = pushMessageOf(wake);
    const { route, webhooks, logger } = this.options;
    if (route && route.pushLinkCount > 0) route.notify(event, event.step === 'cancelled');
    if (webhooks?.push) webhooks.notify(event);
    logger.debug({ callId: event.callId, callee: event.callee, step: event.step }, 'push');
  }
}
