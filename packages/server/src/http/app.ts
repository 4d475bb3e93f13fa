import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { USER_ID_PATTERN } from '@callgate/protocol';
import { createAccessToken } from '../auth/tokens.js';
import type { StateBackend } from '../state/backend.js';
import { QUEUE_ID_PATTERN, ROLE_PATTERN } from '@callgate/protocol';
import { serveDemoPage } from './demo-page.js';
import type { OriginPolicy } from '../gateway/origin-policy.js';
import { capHttpConnections, timeoutOptions, type HttpConnectionCaps, type HttpTimeouts } from './connection-guard.js';

export interface HttpAppOptions {
  logger: Logger;
  backend: StateBackend;
  /** The call records database, checked by /readyz. */
  records?: { ready(): Promise<boolean> };
  /**
   * When set (dev mode), POST /api/dev/login mints a token for any user id, asked through the
   * server's own host from an allowed origin (so not from a DNS-rebinding page).
   */
  devLogin?: { secret: string; ttlSeconds: number; origins: OriginPolicy; issuer?: string | undefined; audience?: string | undefined };
  /** When set, the demo page is served from this folder at `/`. */
  demoDir?: string;
  /** How long a slow or idle client is waited for. */
  timeouts: HttpTimeouts;
  /** Bounds on connections that are not WebSockets. */
  caps: HttpConnectionCaps;
}

/** The HTTP side of the server: health, readiness and, in dev mode, a demo login. */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const logger = options.logger.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    ...timeoutOptions(options.timeouts),
    // A schema's `additionalProperties: false` refuses unknown parameters instead of dropping them.
    ajv: { customOptions: { removeAdditional: false } },
  });
  capHttpConnections(app.server, options.caps, logger);

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const [state, records] = await Promise.all([
      options.backend.ready().catch(() => false),
      options.records ? options.records.ready().catch(() => false) : true,
    ]);
    const ready = state && records;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', state, records });
  });

  const dev = options.devLogin;
  if (dev) {
    const onRequest = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const why = !dev.origins.allowsHost(request.headers.host)
        ? 'the Host header does not name this server (see --public-url)'
        : !dev.origins.allowsOrigin(request.headers.origin)
          ? 'origin not allowed'
          : null;
      if (why) await reply.code(403).send({ error: { code: 'FORBIDDEN', message: why } });
    };
    app.post<{ Body: { userId?: unknown; role?: unknown; queues?: unknown } }>('/api/dev/login', { onRequest }, async (request, reply) => {
      const userId = request.body?.userId;
      if (typeof userId !== 'string' || !USER_ID_PATTERN.test(userId)) {
        return reply.code(400).send({ error: { code: 'BAD_USER_ID', message: 'userId: 1-64 characters of A-Z a-z 0-9 _ . @ -' } });
      }
      const role = request.body?.role;
      if (role !== undefined && (typeof role !== 'string' || !ROLE_PATTERN.test(role))) {
        return reply.code(400).send({ error: { code: 'BAD_ROLE', message: 'role: 1-32 characters of A-Z a-z 0-9 _ -' } });
      }
      // An agent's queues (docs/contact-centre.md): the demo page's agents choose theirs at sign-in.
      const queues = request.body?.queues;
      if (queues !== undefined && (!Array.isArray(queues) || queues.length > 100 || !queues.every((q) => typeof q === 'string' && QUEUE_ID_PATTERN.test(q)))) {
        return reply.code(400).send({ error: { code: 'BAD_QUEUES', message: 'queues: a list of at most 100 queue ids' } });
      }
      const grants = { ...(role === undefined ? {} : { role }), ...(queues === undefined ? {} : { queues: queues as string[] }) };
      const claims = Object.keys(grants).length === 0 ? {} : { claims: grants };
      const token = await createAccessToken({
        secret: dev.secret,
        userId,
        ttlSeconds: dev.ttlSeconds,
        ...claims,
        ...(dev.issuer !== undefined ? { issuer: dev.issuer } : {}),
        ...(dev.audience !== undefined ? { audience: dev.audience } : {}),
      });
      return { userId, token, expiresIn: dev.ttlSeconds, ...grants };
    });
  }
  if (options.demoDir) serveDemoPage(app, { root: options.demoDir, devLogin: dev !== undefined, sourceMaps: dev !== undefined });
  return app;
}
