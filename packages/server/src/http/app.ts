import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type RouteOptions, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { QUEUE_ID_PATTERN, ROLE_PATTERN, USER_ID_PATTERN } from '@callgate/protocol';
import { createAccessToken } from '../auth/tokens.js';
import type { StateBackend } from '../state/backend.js';
import { serveDemoPage } from './demo-page.js';
import type { OriginPolicy } from '../gateway/origin-policy.js';
import { capHttpConnections, timeoutOptions, type HttpConnectionCaps, type HttpTimeouts } from './connection-guard.js';
import { ApiError } from './api-access.js';
import { answerErrorsInApiShape, apiScope, frameworkErrorReply } from './api-replies.js';
import { addApiSchemas, errorAnswers, noQuery } from './api-schemas.js';
import { OPENAPI_DOCUMENT_PATH, OPENAPI_UI_PATH, openApiOptions } from './openapi.js';

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
  /** Told of every route as it is registered, before any is (the OpenAPI test lists them). */
  onRoute?: (route: RouteOptions) => void;
}

/** The dev login's body is a user id and a role: a few hundred bytes at most. */
const DEV_LOGIN_BODY_LIMIT = 4096;

const devLoginBody = {
  type: 'object',
  additionalProperties: false,
  required: ['userId'],
  properties: {
    userId: { type: 'string', pattern: USER_ID_PATTERN.source, description: '1-64 characters of A-Z a-z 0-9 _ . @ -' },
    role: { type: 'string', pattern: ROLE_PATTERN.source, description: '1-32 characters of A-Z a-z 0-9 _ -' },
    queues: {
      type: 'array',
      maxItems: 100,
      items: { type: 'string', pattern: QUEUE_ID_PATTERN.source },
      description: "an agent's queues (docs/contact-centre.md), at most 100 queue ids",
    },
  },
} as const;

const devLoginAnswer = {
  type: 'object',
  additionalProperties: false,
  required: ['userId', 'token', 'expiresIn'],
  properties: {
    userId: { type: 'string' },
    token: { type: 'string' },
    expiresIn: { type: 'integer' },
    role: { type: 'string' },
    queues: { type: 'array', items: { type: 'string' } },
  },
} as const;

const readyAnswer = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'state', 'records'],
  properties: { status: { type: 'string', enum: ['ready', 'not ready'] }, state: { type: 'boolean' }, records: { type: 'boolean' } },
} as const;

/**
 * Without a Content-Type header a body that parses as JSON is JSON (curl -d, a fetch of a typeless
 * Blob); a body with any other Content-Type than JSON stays 415.
 */
function acceptJsonWithoutContentType(scope: FastifyInstance): void {
  scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: DEV_LOGIN_BODY_LIMIT }, (request, body, done) => {
    if (request.headers['content-type'] !== undefined) {
      done(Object.assign(new Error(`unsupported Content-Type ${request.headers['content-type']}`), { statusCode: 415 }), undefined);
      return;
    }
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(Object.assign(new Error((error as Error).message), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' }), undefined);
    }
  });
}

/**
 * The HTTP side of the server: health, readiness, the OpenAPI document and its page, in dev mode
 * a demo login; every error in the API's shape `{ error: { code, message } }`.
 */
export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const logger = options.logger.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    ...timeoutOptions(options.timeouts),
    // A schema's `additionalProperties: false` refuses unknown parameters instead of dropping them.
    ajv: { customOptions: { removeAdditional: false } },
    frameworkErrors: frameworkErrorReply,
  });
  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  capHttpConnections(app.server, options.caps, logger);
  addApiSchemas(app);
  answerErrorsInApiShape(app);
  // Every body the API takes is JSON: text/plain is 415 like any other type.
  app.removeContentTypeParser('text/plain');
  await app.register(fastifySwagger, openApiOptions());
  await app.register(fastifySwaggerUi, { routePrefix: OPENAPI_UI_PATH });
  app.get(OPENAPI_DOCUMENT_PATH, { schema: { hide: true, querystring: noQuery } }, async () => app.swagger());

  app.get('/healthz', {
    schema: {
      summary: 'The process runs',
      tags: ['health'],
      querystring: noQuery,
      response: { 200: { type: 'object', additionalProperties: false, required: ['status'], properties: { status: { type: 'string', const: 'ok' } } }, ...errorAnswers(400) },
    },
  }, async () => ({ status: 'ok' }));

  app.get('/readyz', {
    schema: {
      summary: 'The state store and the records database answer',
      tags: ['health'],
      querystring: noQuery,
      response: { 200: readyAnswer, 503: readyAnswer, ...errorAnswers(400) },
    },
  }, async (_request, reply) => {
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
    const bodyCodes = (field: string | undefined): string => {
      const top = field?.split('.')[0]; // "queues.0": an item of the list
      return top === 'userId' ? 'BAD_USER_ID' : top === 'role' ? 'BAD_ROLE' : top === 'queues' ? 'BAD_QUEUES' : 'BAD_BODY';
    };
    apiScope(app, { querystring: 'BAD_QUERY', params: 'BAD_QUERY', body: bodyCodes }, (scope) => {
      acceptJsonWithoutContentType(scope);
      scope.post<{ Body: { userId: string; role?: string; queues?: string[] } }>('/api/dev/login', {
        onRequest,
        // Before the schema, whose type coercion would take "billing" for ["billing"] and 1 for "1".
        preValidation: async (request) => {
          const queues = (request.body as { queues?: unknown } | undefined)?.queues;
          if (queues !== undefined && !(Array.isArray(queues) && queues.every((queue) => typeof queue === 'string'))) {
            throw new ApiError(400, 'BAD_QUEUES', 'queues: a list of at most 100 queue ids');
          }
        },
        bodyLimit: DEV_LOGIN_BODY_LIMIT,
        schema: {
          summary: 'Dev mode only: a token for any user (never in production)',
          tags: ['dev'],
          querystring: noQuery,
          body: devLoginBody,
          response: { 200: devLoginAnswer, ...errorAnswers(400, 403, 413, 415) },
        },
      }, async (request, reply) => {
        const { userId, role, queues } = request.body;
        if (!USER_ID_PATTERN.test(userId)) throw new ApiError(400, 'BAD_USER_ID', 'userId: 1-64 characters of A-Z a-z 0-9 _ . @ -');
        if (role !== undefined && !ROLE_PATTERN.test(role)) throw new ApiError(400, 'BAD_ROLE', 'role: 1-32 characters of A-Z a-z 0-9 _ -');
        // An agent's queues (docs/contact-centre.md): the demo page's agents choose theirs at sign-in.
        const grants = { ...(role === undefined ? {} : { role }), ...(queues === undefined ? {} : { queues }) };
        const claims = Object.keys(grants).length === 0 ? {} : { claims: grants };
        const token = await createAccessToken({
          secret: dev.secret,
          userId,
          ttlSeconds: dev.ttlSeconds,
          ...claims,
          ...(dev.issuer !== undefined ? { issuer: dev.issuer } : {}),
          ...(dev.audience !== undefined ? { audience: dev.audience } : {}),
        });
        return reply.send({ userId, token, expiresIn: dev.ttlSeconds, ...grants });
      });
    });
  }
  if (options.demoDir) serveDemoPage(app, { root: options.demoDir, devLogin: dev !== undefined, sourceMaps: dev !== undefined });
  return app;
}
