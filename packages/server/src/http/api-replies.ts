import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './api-access.js';

/**
 * The code a request gets when its querystring, params or body do not match the route's schema.
 * `body` may name a code per field (the dev login's BAD_USER_ID, BAD_ROLE).
 */
export interface BadInputCodes {
  querystring: string;
  params: string;
  body: string | ((field: string | undefined) => string);
}

/** Outside a scope of its own: every parameter problem is BAD_QUERY, every body problem BAD_BODY. */
export const DEFAULT_CODES: BadInputCodes = { querystring: 'BAD_QUERY', params: 'BAD_QUERY', body: 'BAD_BODY' };

const bodyCode = (codes: BadInputCodes, field?: string): string => (typeof codes.body === 'string' ? codes.body : codes.body(field));

/** What a fastify error (validation, body parsing, a 4xx of fastify's own) means to an API client. */
export function apiErrorOf(error: FastifyError, codes: BadInputCodes): ApiError | undefined {
  if (error.validation) {
    const context = (error.validationContext ?? 'querystring') as keyof BadInputCodes;
    const [first] = error.validation;
    const params = (first?.params ?? {}) as { additionalProperty?: string; missingProperty?: string };
    const name = params.additionalProperty ?? params.missingProperty ?? (first?.instancePath.replace(/^\//, '').replaceAll('/', '.') || undefined);
    const message = params.additionalProperty !== undefined ? 'unknown parameter' : (first?.message ?? 'invalid');
    const code = context === 'body' ? bodyCode(codes, name) : codes[context];
    return new ApiError(400, typeof code === 'string' ? code : 'BAD_QUERY', name ? `${name}: ${message}` : `${context}: ${message}`);
  }
  const status = error.statusCode ?? 500;
  if (status === 415) return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  if (status === 413) return new ApiError(413, 'TOO_LARGE', error.message);
  if (status === 400 && error.code?.startsWith('FST_ERR_CTP')) return new ApiError(400, bodyCode(codes), `the body is not valid JSON: ${error.message}`);
  if (status === 400 && error instanceof SyntaxError) return new ApiError(400, bodyCode(codes), `the body is not valid JSON: ${error.message}`);
  if (status === 404) return new ApiError(404, 'NOT_FOUND', error.message);
  if (status >= 400 && status < 500) return new ApiError(status, 'BAD_REQUEST', error.message);
  return undefined;
}

/**
 * Errors as `{ "error": { "code", "message" } }` (docs/records.md): an ApiError as it says, a
 * database that fails as 503 `unavailable`.
 */
export function sendApiError(reply: FastifyReply, error: unknown, unavailable: { code: string; message: string }): FastifyReply {
  if (error instanceof ApiError) {
    if (error.status === 401) void reply.header('www-authenticate', 'Bearer');
    return reply.code(error.status).send({ error: { code: error.code, message: error.message } });
  }
  reply.log.warn({ err: error }, 'API request failed');
  return reply.code(503).send({ error: unavailable });
}

/** An error handler that answers in the API's shape: a known 4xx as it is, anything else 500 INTERNAL. */
function apiErrorHandler(codes: BadInputCodes) {
  return (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const known = error instanceof ApiError ? error : apiErrorOf(error, codes);
    if (known) return sendApiError(reply, known, { code: 'INTERNAL', message: '' });
    reply.log.error({ err: error }, 'API request failed');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'the request failed' } });
  };
}

/**
 * Every answer fastify makes by itself in the API's shape, on every route of `app`: schema and
 * body errors, 415, 413, an unknown route (404 NOT_FOUND), a URL fastify cannot read.
 */
export function answerErrorsInApiShape(app: FastifyInstance): void {
  app.setErrorHandler(apiErrorHandler(DEFAULT_CODES));
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } }),
  );
}

/** For Fastify's `frameworkErrors` option: a URL it cannot decode, an async constraint that fails. */
export function frameworkErrorReply(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const known = apiErrorOf(error, DEFAULT_CODES) ?? new ApiError(400, 'BAD_REQUEST', error.message);
  void reply.code(known.status).send({ error: { code: known.code, message: known.message } });
}

/**
 * Routes registered in a scope of their own, whose schema and body errors are answered with
 * their own codes (the scope's error handler touches no other route).
 */
export function apiScope(app: FastifyInstance, codes: BadInputCodes, routes: (scope: FastifyInstance) => void): void {
  void app.register(async (scope) => {
    scope.setErrorHandler(apiErrorHandler(codes));
    routes(scope);
  });
}

/**
 * One page of a list read with one row more than `limit` (newest first): the rows to show, and
 * the cursor of the next page, or null when that extra row says there is none.
 */
export function pageOf<R>(rows: readonly R[], limit: number, cursorAfter: (last: R) => string): { rows: R[]; next: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > limit && last !== undefined ? cursorAfter(last) : null };
}
