import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ApiError } from './api-access.js';

/** The code a request gets when its querystring, params or body do not match the route's schema. */
export interface BadInputCodes {
  querystring: string;
  params: string;
  body: string;
}

/** What a fastify validation or body-parsing error means to an API client. */
function apiErrorOf(error: FastifyError, codes: BadInputCodes): ApiError | undefined {
  if (error.validation) {
    const context = (error.validationContext ?? 'querystring') as keyof BadInputCodes;
    const [first] = error.validation;
    const params = (first?.params ?? {}) as { additionalProperty?: string; missingProperty?: string };
    const name = params.additionalProperty ?? params.missingProperty ?? first?.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const message = params.additionalProperty !== undefined ? 'unknown parameter' : (first?.message ?? 'invalid');
    return new ApiError(400, codes[context] ?? 'BAD_QUERY', name ? `${name}: ${message}` : `${context}: ${message}`);
  }
  if (error.statusCode === 415) return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  if (error.statusCode === 413) return new ApiError(413, 'TOO_LARGE', error.message);
  if (error.statusCode === 400) return new ApiError(400, codes.body, `the body is not valid JSON: ${error.message}`);
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

/**
 * Routes registered in a scope of their own, whose schema and body errors are answered in the
 * API's error format (the scope's error handler touches no other route).
 */
export function apiScope(app: FastifyInstance, codes: BadInputCodes, routes: (scope: FastifyInstance) => void): void {
  void app.register(async (scope) => {
    scope.setErrorHandler((error: FastifyError, _request, reply) => {
      const known = apiErrorOf(error, codes);
      if (known) return sendApiError(reply, known, { code: 'INTERNAL', message: '' });
      reply.log.error({ err: error }, 'API request failed');
      return reply.code(500).send({ error: { code: 'INTERNAL', message: 'the request failed' } });
    });
    routes(scope);
  });
}
