import type { Logger } from 'pino';
import { TokenVerifier } from './auth/tokens.js';
import { ClientGateway, CLIENT_PATH } from './gateway/client-gateway.js';
import { createHttpApp } from './http/app.js';
import { createLogger } from './logger.js';
import { PresenceBoard } from './presence/presence-board.js';
import { openState } from './state/open-state.js';
import type { QueueDefinitionInput } from '@callgate/protocol';
import { QueueDirectory } from './queues/queue-directory.js';
import { queueOf, readQueueFile } from './queues/queue-file.js';
import { EntryPositions } from './queues/entry-positions.js';
import { QueueBoard } from './queues/queue-board.js';
import { QueueDefinitions } from './records/queue-definitions.js';
import { CallRatingStore } from './records/call-ratings.js';
import { Switchboard } from './switchboard.js';
import { CallRecords } from './records/call-records.js';
import { CallMetrics } from './observability/call-metrics.js';
import { logTransition } from './observability/call-log.js';
import { ApiAccess } from './http/api-access.js';
import { registerRestApi } from './http/rest-api.js';
import { QueueMetrics } from './observability/queue-metrics.js';
import { HandleTimes } from './records/handle-times.js';
import { closeQueues, drainCalls } from './drain.js';
import type { IceServer } from '@callgate/protocol';
import { defaultLimits, type ConnectionLimits } from './gateway/limits.js';
import { BUSINESS_PATH } from '@callgate/protocol';
import { createBusinessSide } from './business/business-side.js';
import type { WebhookOptions } from './business/webhook-sender.js';
import { OriginPolicy, urlHost } from './gateway/origin-policy.js';
import { defaultHttpTimeouts, type HttpTimeouts } from './http/connection-guard.js';
import { iceServersFor, type IceServerConfig } from './media/ice-servers.js';
import { checkServerOptions, recordsRetentionMs } from './options/server-options.js';
import { RecordRetention } from './records/retention.js';

export interface ServerOptions {
  /** TCP port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Key that user access tokens are signed with (HS256). */
  secret: string;
  /** When set, a token's `iss` claim must be this (`--token-issuer`). */
  tokenIssuer?: string;
  /** When set, a token's `aud` claim must be (or list) this (`--token-audience`). */
  tokenAudience?: string;
  /** How long a REQUEST rings before TIMEOUT. Default 60 000. */
  ringTimeoutMs?: number;
  /** How long a dropped user keeps its call for a resume. Default 15 000. */
  graceMs?: number;
  /** Devices one user may be connected from at once; 1 = a second login replaces the first. Default 5. */
  maxDevices?: number;
  /** With a push hook: how long a REQUEST to a user with no device waits for one to connect. Default 30 000. */
  offlineWaitMs?: number;
  /** Server ping interval; a socket silent for two intervals is dropped. Default 20 000. */
  heartbeatIntervalMs?: number;
  /** Time allowed between connecting and a valid auth message. Default 10 000. */
  authTimeoutMs?: number;
  /** Largest WebSocket message, in bytes. Default 65 536. */
  maxPayload?: number;
  /** Rate and size bounds per connection, user and address; see docs/security.md. */
  limits?: Partial<ConnectionLimits>;
  /** How long idle and slow HTTP clients are waited for (idle 10 s, headers 10 s, request 30 s, keep-alive 5 s); see docs/security.md. */
  httpTimeouts?: Partial<HttpTimeouts>;
  /** Browser origins allowed to connect besides the server's own; ["*"] for any. */
  allowOrigins?: string[];
  /**
   * The URL browsers reach the server at, e.g. https://calls.example.com: its origin is the
   * server's own. Default: http://<host>:<port> it listens on (on 127.0.0.1 also http://localhost:<port>).
   */
  publicUrl?: string;
  /** Dev mode: a demo login endpoint mints tokens for anyone. Never in production. */
  dev?: boolean;
  /** Cluster mode: a Redis URL (redis://host:port). Every node given the same URL and prefix acts as one. */
  redis?: string;
  /** Key prefix in Redis shared by the nodes of one deployment. Default "callgate:". */
  redisPrefix?: string;
  /** This node's name in the cluster. Default: host, pid and a random part. */
  node?: string;
  /** Cluster mode: a node silent this long is dead and its users are treated as dropped. Default 5000. */
  nodeTimeoutMs?: number;
  /** A pino logger; default: JSON lines at `logLevel`. */
  logger?: Logger;
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** STUN/TURN servers handed to each user in its welcome message (TURN with a fresh credential). */
  ice?: IceServerConfig;
  /** Or a function of your own that gives each user its STUN/TURN servers (not with `ice`). */
  iceServers?: (userId: string) => IceServer[];
  /** Serves the demo page (apps/demo/dist) from this folder at `/`. */
  demoDir?: string;
  /** Business servers authenticate with it on `/business`; without it the business link is off. Not the token secret. */
  businessSecret?: string;
  /** Longest wait for a business decision on a REQUEST. Default 3 000. */
  businessTimeoutMs?: number;
  /** On a business timeout or failure, let the call ring instead of refusing it with BUSINESS_UNAVAILABLE. */
  businessFailOpen?: boolean;
  /** POST every call event, signed, to a URL; with `veto`, REQUEST waits for its answer. */
  webhook?: WebhookOptions;
  /** Where call records go: a SQLite file path, ":memory:" (the default) or a postgres:// URL. */
  db?: string;
  /** Bearer key that reads every call record through the history API; none by default. */
  adminKey?: string;
  /**
   * Removes call records (with their parties, wrap-ups and ratings) and queue entry records that
   * ended longer ago than this: `90d`, `12h`, `30m`, or milliseconds. Purged once at start and
   * hourly, 500 rows a step, off the call path. Default: records are kept forever.
   */
  recordsRetention?: string | number;
  /** Queues to define at start (they replace same-id definitions in the records database). */
  queues?: readonly ({ id: string } & QueueDefinitionInput)[];
  /** A JSON file of queues (docs/contact-centre.md); read at start, like `queues`. */
  queuesFile?: string;
}

export interface CloseOptions {
  /** How long live calls may go on before they are ended with FINISH SHUTTING_DOWN (200011). Default 0. */
  drainTimeoutMs?: number;
}

export interface RunningServer {
  /** Base URL both SDKs take, e.g. ws://127.0.0.1:8080. */
  url: string;
  /** HTTP base URL of the same port. */
  httpUrl: string;
  port: number;
  /**
   * Ends the call `userId` is in, at any phase, as a business server may: both parties get FINISH
   * with `errorCode`. Resolves to 0, or to NOTINCALL when the user is in no call.
   */
  finishCall(userId: string, errorCode: number, userStr?: string): Promise<number>;
  /** Business links that hear this server's call events (in cluster mode: those of every live node). */
  businessLinks(): number;
  /**
   * Shuts down gracefully: stops accepting connections, refuses new REQUESTs with SHUTTING_DOWN,
   * lets live calls go on for up to `drainTimeoutMs`, ends the rest with FINISH SHUTTING_DOWN,
   * writes every call record, then closes. In cluster mode no call is ended: the sockets close
   * with 1001 and their clients resume on other nodes, calls kept (a rolling restart). Calling
   * it again returns the same promise.
   */
  close(options?: CloseOptions): Promise<void>;
}

/**
 * Starts a Callgate server and resolves once it listens. Rejects with a ServerOptionsError,
 * before it opens anything, when an option cannot work (see checkServerOptions).
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  checkServerOptions(options);
  const businessOptions = {
    secret: options.businessSecret,
    webhook: options.webhook,
    decisionTimeoutMs: options.businessTimeoutMs ?? 3_000,
  };
  const startQueues = [
    ...(options.queuesFile ? readQueueFile(options.queuesFile) : []),
    ...(options.queues ?? []).map(({ id, ...definition }) => queueOf(id, definition)),
  ];
  const limits: ConnectionLimits = { ...defaultLimits, ...options.limits };
  const httpTimeouts: HttpTimeouts = { ...defaultHttpTimeouts, ...options.httpTimeouts };
  const origins = new OriginPolicy({ publicUrl: options.publicUrl, host: options.host ?? '127.0.0.1', allowOrigins: options.allowOrigins ?? [] });
  const logger = options.logger ?? createLogger(options.logLevel ?? 'info', false);
  const state = await openState({
    logger,
    ...(options.redis ? { redis: options.redis } : {}),
    ...(options.redisPrefix !== undefined ? { redisPrefix: options.redisPrefix } : {}),
    ...(options.node !== undefined ? { node: options.node } : {}),
    ...(options.nodeTimeoutMs !== undefined ? { nodeTimeoutMs: options.nodeTimeoutMs } : {}),
  });
  const { backend, cluster } = state;
  const graceMs = options.graceMs ?? 15_000;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 20_000;
  const authTimeoutMs = options.authTimeoutMs ?? 10_000;
  const maxPayload = options.maxPayload ?? 65_536;
  const metrics: CallMetrics = new CallMetrics({
    connectedUsers: (): number => gateway.connectedUsers,
    devicesPerUser: () => gateway.devicesPerUser,
    liveCalls: () => backend.liveCalls(),
    recordQueueDepth: (): number => callRecords.writer.depth,
  });
  const callRecords = await CallRecords.open({ db: options.db ?? ':memory:', backend, logger, observer: metrics.records }).catch(
    async (error: unknown) => {
      await state.close();
      throw error;
    },
  );
  const directory = new QueueDirectory(new QueueDefinitions(callRecords.store.database), cluster, logger.child({ component: 'queues' }));
  await directory.start(startQueues).catch(async (error: unknown) => {
    await callRecords.close();
    await state.close();
    throw error;
  });
  const switchboard = new Switchboard({
    backend,
    logger,
    ringTimeoutMs: options.ringTimeoutMs ?? 60_000,
    graceMs,
    offlineWaitMs: options.offlineWaitMs ?? 30_000,
    maxDevices: options.maxDevices ?? 5,
    queues: directory.lookup,
  });
  switchboard.onTransition((transition) => {
    callRecords.record(transition);
    metrics.transition(transition);
    logTransition(logger, transition);
  });
  const queueMetrics = new QueueMetrics(metrics.registry, { queues: () => directory.list(), backend });
  switchboard.onQueueTransition((transition) => {
    callRecords.recordQueue(transition);
    queueMetrics.transition(transition);
  });
  const retentionMs = recordsRetentionMs(options.recordsRetention);
  const retention =
    retentionMs === undefined ? undefined : new RecordRetention({ store: callRecords.store, retentionMs, logger: logger.child({ component: 'records' }) });
  retention?.start();
  const handleTimes = new HandleTimes(callRecords.store.reads, logger.child({ component: 'records' }));
  await handleTimes.start();
  const presence = new PresenceBoard(backend, logger);
  const positions = new EntryPositions(backend, (userId, message) => gateway.sendTo(userId, message), handleTimes.of, logger);
  const board = new QueueBoard(backend, directory, logger);
  const ratings = new CallRatingStore(callRecords.store.database, callRecords.writer);
  directory.onChange((before, after) => {
    const queues = [...new Set([...before.keys(), ...after.keys()])];
    board.changed({ queues, agents: [] });
  });
  const gateway: ClientGateway = new ClientGateway({
    presence,
    switchboard,
    backend,
    verifier: new TokenVerifier(options.secret, { issuer: options.tokenIssuer, audience: options.tokenAudience }),
    logger,
    maxPayload,
    origins,
    observer: metrics.connections,
    contactCentre: {
      calls: switchboard,
      queues: directory,
      ratings,
      board,
      positions,
    },
    onQueueChanges: (changes) => {
      positions.changed(changes.queues);
      board.changed(changes);
    },
    config: {
      limits,
      graceMs,
      maxDevices: options.maxDevices ?? 5,
      heartbeatIntervalMs,
      authTimeoutMs,
      iceServersFor: options.iceServers ?? (options.ice ? iceServersFor(options.ice) : () => []),
    },
  });
  const business = createBusinessSide({
    ...businessOptions,
    failOpen: options.businessFailOpen === true,
    switchboard,
    ratings,
    backend,
    cluster,
    logger,
    heartbeatIntervalMs,
    authTimeoutMs,
    maxPayload,
    maxConnectionsPerIp: limits.maxConnectionsPerIp,
  });

  const app = await createHttpApp({
    logger,
    backend,
    records: callRecords.store,
    timeouts: httpTimeouts,
    caps: limits,
    ...(options.dev ? { devLogin: { secret: options.secret, ttlSeconds: 12 * 3600, origins, issuer: options.tokenIssuer, audience: options.tokenAudience } } : {}),
    ...(options.demoDir ? { demoDir: options.demoDir } : {}),
  });
  const access = new ApiAccess(gateway.verifier, options.adminKey);
  registerRestApi(app, {
    access,
    history: { store: callRecords.store, writer: callRecords.writer },
    queues: { directory, backend, switchboard, db: callRecords.store.reads, writer: callRecords.writer },
    entries: { entries: callRecords.entries, writer: callRecords.writer },
    metrics,
  });
  let draining = false;
  app.server.on('upgrade', (request, socket, head) => {
    if (draining) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === CLIENT_PATH) gateway.handleUpgrade(request, socket, head);
    else if (path === BUSINESS_PATH && business.gateway) business.gateway.handleUpgrade(request, socket, head);
    else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 8080, host }).catch(async (error: unknown) => {
    await handleTimes.close();
    await retention?.close();
    await callRecords.close();
    throw error;
  });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 8080);
  origins.listening(port);
  const publicHost = urlHost(host);

  let closing: Promise<void> | undefined;
  return {
    url: `ws://${publicHost}:${port}`,
    httpUrl: `http://${publicHost}:${port}`,
    port,
    businessLinks: () => business.linkCount,
    finishCall: (userId, errorCode, userStr = '') => switchboard.forceFinish({ userId, errorCode, userStr, by: 'business' }),
    close(closeOptions = {}) {
      closing ??= (async () => {
        draining = true;
        switchboard.setDraining(true);
        app.server.close();
        if (backend.shared) {
          // Rolling restart: the sockets close with 1001 below; their clients reconnect to other
          // nodes and resume within the grace period, calls kept.
          logger.info('draining: handing this node\'s users over to the other nodes');
        } else {
          await closeQueues({ switchboard, backend, logger });
          await drainCalls({ switchboard, backend, logger, timeoutMs: closeOptions.drainTimeoutMs ?? 0 });
        }
        await business.close();
        positions.close();
        board.close();
        await handleTimes.close();
        await retention?.close();
        await gateway.close();
        await app.close();
        await state.close();
        await callRecords.close();
      })();
      return closing;
    },
  };
}
