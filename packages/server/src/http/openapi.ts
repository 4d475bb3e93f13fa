import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';

/** Where the OpenAPI 3.1 document of the REST API is served. */
export const OPENAPI_DOCUMENT_PATH = '/api/openapi.json';
/** Where its page (Swagger UI) is served. */
export const OPENAPI_UI_PATH = '/api/docs';

/**
 * The OpenAPI document is made from the routes' own schemas (@fastify/swagger): what fastify
 * validates and serializes is what it describes. The shared schemas (`addApiSchemas`) appear once
 * each under `components.schemas`, named by their `$id`.
 */
export function openApiOptions(): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Callgate REST API',
        version: '0.1.0',
        description:
          'Call history, queues, queue entries and their statistics, health, and the dev login. Every 4xx and 5xx answers `{ "error": { "code", "message" } }` (the ApiError schema). See docs/records.md.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'the admin key (--admin-key) or a user access token (JWT)' },
        },
      },
      tags: [
        { name: 'history', description: 'call records' },
        { name: 'queues', description: 'the contact centre: queues and their statistics' },
        { name: 'queue entries', description: 'the contact centre: queue entry records' },
        { name: 'health', description: 'liveness, readiness, metrics' },
        { name: 'dev', description: 'dev mode only' },
      ],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  };
}
