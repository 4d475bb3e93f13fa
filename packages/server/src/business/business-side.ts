import type { Logger } from 'pino';
import type { StateBackend } from '../state/backend.js';
import type { Cluster } from '../state/cluster.js';
import type { Switchboard } from '../switchboard.js';
import { BusinessGateway } from './business-gateway.js';
import { BusinessHook } from './business-hook.js';
import { LocalBusinessRoute, type BusinessRoute } from './business-route.js';
import { ClusterBusinessRoute } from './cluster-business-route.js';
import { ClusterWebhooks } from './cluster-webhooks.js';
import { PushHook } from './push-hook.js';
import { QueueBusinessHook, type RatingSource } from './queue-business-hook.js';
import { WebhookSender, type WebhookOptions } from './webhook-sender.js';

export interface BusinessSideOptions {
  /** Business servers authenticate with it on `/business`; without it there is no business link. */
  secret: string | undefined;
  webhook: WebhookOptions | undefined;
  decisionTimeoutMs: number;
  failOpen: boolean;
  switchboard: Switchboard;
  /** Where customers' ratings are taken: each is told as the entry's `rated` step. */
  ratings?: RatingSource;
  backend: StateBackend;
  cluster: Cluster;
  logger: Logger;
  heartbeatIntervalMs: number;
  authTimeoutMs: number;
  maxPayload: number;
  /** Open sockets per client address on `/business`, as on `/ws`; 0 for no limit. */
  maxConnectionsPerIp: number;
}

export interface BusinessSide {
  /** The `/business` endpoint, or null when no business secret is configured. */
  gateway: BusinessGateway | null;
  /** Business links that hear this server's events (in a cluster: on every live node). */
  readonly linkCount: number;
  close(): Promise<void>;
}

/** The business link, the webhooks and the hook that feeds them, as the options ask (checked by checkServerOptions). */
export function createBusinessSide(options: BusinessSideOptions): BusinessSide {
  const logger = options.logger.child({ component: 'business' });
  const gateway = options.secret
    ? new BusinessGateway({
        secret: options.secret,
        switchboard: options.switchboard,
        backend: options.backend,
        logger,
        decisionTimeoutMs: options.decisionTimeoutMs,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        authTimeoutMs: options.authTimeoutMs,
        maxPayload: options.maxPayload,
        maxConnectionsPerIp: options.maxConnectionsPerIp,
      })
    : null;
  let route: BusinessRoute | null = null;
  if (gateway) {
    // One node hands events straight to its own links; nodes of a cluster go through one stream.
    route = options.cluster.shared ? new ClusterBusinessRoute(gateway, options.cluster, logger) : new LocalBusinessRoute(gateway);
  }
  // From the root logger: a child of the business logger would write "component" twice.
  const webhookLogger = options.logger.child({ component: 'webhook' });
  const sender = options.webhook ? new WebhookSender(options.webhook, webhookLogger) : null;
  const webhooks = sender && options.cluster.shared ? new ClusterWebhooks(sender, options.cluster, webhookLogger) : sender;
  // Without a business link or a webhook nobody hears call events: no hook, no work per call.
  const hookOptions = { switchboard: options.switchboard, logger, route, webhooks, decisionTimeoutMs: options.decisionTimeoutMs, failOpen: options.failOpen };
  const hook = route || webhooks ? new BusinessHook(hookOptions) : null;
  const queueHook = route || webhooks ? new QueueBusinessHook({ ...hookOptions, ratings: options.ratings }) : null;
  const pushHook = route || webhooks?.push ? new PushHook({ switchboard: options.switchboard, logger, route, webhooks }) : null;
  return {
    gateway,
    get linkCount() {
      return route?.linkCount ?? 0;
    },
    async close() {
      pushHook?.close();
      queueHook?.close();
      hook?.close();
      await route?.close();
      await gateway?.close();
    },
  };
}
