import type { Logger } from 'pino';
import { defaultDemoDir } from '../http/demo-page.js';
import { devQueues } from './dev-queues.js';
import type { ServerOptions } from '../server.js';
import type { ServeFlags } from './serve-options.js';

/** What `--dev` made up for the options not given: shown to the user once the server runs. */
export interface DevDefaults {
  secret?: string;
  adminKey?: string;
  businessSecret?: string;
}

/**
 * `callgate serve`'s options as startServer's, seconds as milliseconds; none is checked here
 * (startServer does, naming the flags). An option given without its partner (--webhook-url
 * without --webhook-secret, a TURN secret without a URL) goes in as it is, for the server to refuse.
 */
export function toServerOptions(flags: ServeFlags, dev: DevDefaults, logger: Logger): ServerOptions {
  const secret = flags.secret || dev.secret;
  const adminKey = flags.adminKey || dev.adminKey;
  const businessSecret = flags.businessSecret || dev.businessSecret;
  const webhook = flags.webhookUrl || flags.webhookSecret || flags.webhookVeto || flags.webhookPush;
  const turn = flags.turnUrl?.length || flags.turnSecret;
  return {
    // Empty: none given, which startServer refuses, naming --secret.
    secret: secret ?? '',
    ...(flags.dev || flags.demo ? { demoDir: defaultDemoDir } : {}),
    port: flags.port,
    host: flags.host,
    ...(flags.tokenIssuer ? { tokenIssuer: flags.tokenIssuer } : {}),
    ...(flags.tokenAudience ? { tokenAudience: flags.tokenAudience } : {}),
    ringTimeoutMs: flags.ringTimeout * 1000,
    graceMs: flags.grace * 1000,
    maxDevices: flags.maxDevices,
    offlineWaitMs: flags.offlineWait * 1000,
    dev: flags.dev === true,
    logger,
    allowOrigins: flags.allowOrigin ?? [],
    ...(flags.publicUrl ? { publicUrl: flags.publicUrl } : {}),
    ...(flags.redis ? { redis: flags.redis, redisPrefix: flags.redisPrefix, nodeTimeoutMs: flags.nodeTimeout * 1000 } : {}),
    ...(flags.node ? { node: flags.node } : {}),
    limits: {
      maxConnectionsPerIp: flags.maxConnectionsPerIp,
      maxHttpConnectionsPerIp: flags.maxHttpConnectionsPerIp,
      maxHttpConnections: flags.maxHttpConnections,
      messagesPerSecond: flags.messageRate,
      messageBurst: flags.messageRate * 2,
      controlsPerSecond: flags.controlRate,
      controlBurst: flags.controlRate * 2,
    },
    ice: {
      stun: flags.stun ?? [],
      ...(turn ? { turn: { urls: flags.turnUrl ?? [], secret: flags.turnSecret ?? '', ttlSeconds: flags.turnTtl } } : {}),
    },
    ...(businessSecret ? { businessSecret } : {}),
    businessTimeoutMs: flags.businessTimeout * 1000,
    businessFailOpen: flags.businessFailOpen === true,
    ...(webhook ? { webhook: { url: flags.webhookUrl ?? '', secret: flags.webhookSecret ?? '', veto: flags.webhookVeto === true, push: flags.webhookPush === true } } : {}),
    db: flags.db,
    ...(adminKey ? { adminKey } : {}),
    ...(flags.recordsRetention !== undefined ? { recordsRetention: flags.recordsRetention } : {}),
    ...(flags.queues ? { queuesFile: flags.queues } : flags.dev ? { queues: devQueues } : {}),
  };
}
