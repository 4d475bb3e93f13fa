import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { USER_ID_PATTERN } from '@callgate/protocol';
import { createAccessToken } from '../auth/tokens.js';
import type { StateBackend } from '../state/backend.js';
import { ROLE_PATTERN } from '@callgate/protocol';
import { serveDemoPage } from './demo-page.js';

export interface HttpAppOptions {
  logger: Logger;
  backend: StateBackend;
  /** The call records database, checked by /readyz. */
  records?: { ready(): Promise<boolean> };
  /** When set (dev mode), POST /api/dev/login mints a token for any user id. */
  devLogin?: { secret: string; ttlSeconds: number };
  /** When set, the demo page is served from this folder at `/`. */
  demoDir?: string;
}

/** The HTTP side of the server: health, readiness and, in dev mode, a demo login. */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = Fastify({ loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }),
    // A schema's `additionalProperties: false` refuses unknown parameters instead of dropping them.
    ajv: { customOptions: { removeAdditional: false } },
  });

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
    app.post<{ Body: { userId?: unknown; role?: unknown } }>('/api/dev/login', async (request, reply) => {
      const userId = request.body?.userId;
      if (typeof userId !== 'string' || !USER_ID_PATTERN.test(userId)) {
        return reply.code(400).send({ error: { code: 'BAD_USER_ID', message: 'userId: 1-64 characters of A-Z a-z 0-9 _ . @ -' } });
      }
      const role = request.body?.role;
      if (role !== undefined && (typeof role !== 'string' || !ROLE_PATTERN.test(role))) {
        return reply.code(400).send({ error: { code: 'BAD_ROLE', message: 'role: 1-32 characters of A-Z a-z 0-9 _ -' } });
      }
      const claims = role === undefined ? {} : { claims: { role } };
      const token = await createAccessToken({ secret: dev.secret, userId, ttlSeconds: dev.ttlSeconds, ...claims });
      return { userId, token, expiresIn: dev.ttlSeconds, ...(role === undefined ? {} : { role }) };
    });
  }
  if (options.demoDir) serveDemoPage(app, { root: options.demoDir, devLogin: dev !== undefined });
  return app;
}
