/**
 * The OpenAPI document (issue 17 item 3): valid OpenAPI 3.1, every route fastify registers is in
 * it (seen by an onRoute hook, before any route exists) with its schemas, and every error answer
 * is the one shared ApiError component.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import type { RouteOptions } from 'fastify';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from '../src/http/app.js';
import { registerRestApi } from '../src/http/rest-api.js';
import { OriginPolicy } from '../src/gateway/origin-policy.js';
import { defaultHttpTimeouts } from '../src/http/connection-guard.js';
import { defaultLimits } from '../src/gateway/limits.js';

type Operation = { parameters?: unknown[]; requestBody?: unknown; responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> };

/** The app `startServer` builds, with every optional part on (dev login, demo page), and the routes it registered. */
async function everyRoute() {
  const routes: RouteOptions[] = [];
  const origins = new OriginPolicy({ host: '127.0.0.1', allowOrigins: [] });
  const app = await createHttpApp({
    logger: pino({ level: 'silent' }),
    backend: {} as never,
    timeouts: defaultHttpTimeouts,
    caps: defaultLimits,
    devLogin: { secret: 'openapi-test-secret-0123', ttlSeconds: 60, origins },
    demoDir: '/nonexistent/demo',
    onRoute: (route) => routes.push(route),
  });
  // The handlers are not called: the routes' dependencies are not needed to list them.
  registerRestApi(app, { access: {} as never, history: {} as never, queues: {} as never, entries: {} as never, metrics: {} as never });
  await app.ready();
  return { app, routes };
}

const openApiPath = (url: string): string => url.replace(/:(\w+)/g, '{$1}');
const methodsOf = (route: RouteOptions): string[] => (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toLowerCase());

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const { app } = await everyRoute();
    const document = app.swagger() as unknown as { openapi: string };
    expect(document.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
    await app.close();
  });

  it('lists every route fastify registered, with its parameters and answers', async () => {
    const { app, routes } = await everyRoute();
    const document = app.swagger() as unknown as { paths: Record<string, Record<string, Operation>> };
    const listed = routes.filter((route) => !(route.schema as { hide?: boolean } | undefined)?.hide);
    const hidden = routes.filter((route) => (route.schema as { hide?: boolean } | undefined)?.hide);
    // Hidden: HEAD twins aside, only the document itself, its page, and the demo page's own files.
    for (const route of hidden) expect(route.url, `${route.url} is hidden`).toMatch(/^(\/api\/openapi\.json|\/api\/docs.*|\/|\/favicon\.ico)$/);
    const expected = ['/healthz', '/readyz', '/metrics', '/api/dev/login', '/api/demo/config', '/api/calls', '/api/calls/:callId', '/api/queues',
      '/api/queues/:id', '/api/queues/:id/stats', '/api/queue-entries', '/api/queue-entries/:entryId'];
    expect(new Set(listed.map((route) => route.url))).toEqual(new Set(expected));
    for (const route of listed) {
      for (const method of methodsOf(route).filter((m) => m !== 'head')) {
        const operation = document.paths[openApiPath(route.url)]?.[method];
        expect(operation, `${method} ${route.url}`).toBeDefined();
        expect(Object.keys(operation!.responses).some((status) => status.startsWith('2')), `${method} ${route.url} answers`).toBe(true);
        expect(operation!.responses['400'], `${method} ${route.url} 400`).toBeDefined();
        // Every route takes a querystring schema: an unknown parameter is refused, not dropped.
        expect((route.schema as { querystring?: { additionalProperties?: boolean } }).querystring?.additionalProperties, `${method} ${route.url} querystring`).toBe(false);
      }
    }
    await app.close();
  });

  it('answers every error with the one ApiError component', async () => {
    const { app } = await everyRoute();
    const document = app.swagger() as unknown as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
    expect(document.components.schemas.ApiError).toMatchObject({ type: 'object', required: ['error'] });
    let errors = 0;
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, answer] of Object.entries(operation.responses)) {
          // /readyz's 503 is its readiness answer (which part is down), not an error.
          if (Number(status) < 400 || (path === '/readyz' && status === '503')) continue;
          errors++;
          expect(answer.content?.['application/json']?.schema?.$ref, `${method} ${path} ${status}`).toBe('#/components/schemas/ApiError');
        }
      }
    }
    expect(errors).toBeGreaterThan(30);
    await app.close();
  });
});
