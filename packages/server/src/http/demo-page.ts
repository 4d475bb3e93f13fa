import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { errorAnswers, noQuery } from './api-schemas.js';

export interface DemoPageOptions {
  /** The built page (apps/demo/dist). */
  root: string;
  /** Whether POST /api/dev/login exists, so the page can sign people in by name. */
  devLogin: boolean;
  /** Whether the page's source maps (*.map) are served: in dev mode only, they show the sources. */
  sourceMaps: boolean;
}

/** Where `npm run build` puts the demo page in the repository, seen from this package. */
const repositoryDemoDir = fileURLToPath(new URL('../../../../apps/demo/dist', import.meta.url));
/** The copy of the page that the packed (installed) package carries; see scripts/copy-demo.mjs. */
const packagedDemoDir = fileURLToPath(new URL('../../demo', import.meta.url));

/** The repository's freshly built page when there is one, else the package's own copy. */
export const defaultDemoDir = existsSync(repositoryDemoDir) ? repositoryDemoDir : packagedDemoDir;

/**
 * The customer-service page at `/`, and `GET /api/demo/config`, which tells the page whether it
 * may sign people in itself (dev mode) or must take a token from the embedding application.
 */
export function serveDemoPage(app: FastifyInstance, options: DemoPageOptions): void {
  app.get('/api/demo/config', {
    schema: {
      summary: 'Whether the demo page may sign people in itself (dev mode)',
      tags: ['dev'],
      querystring: noQuery,
      response: {
        200: { type: 'object', additionalProperties: false, required: ['devLogin'], properties: { devLogin: { type: 'boolean' } } },
        ...errorAnswers(400),
      },
    },
  }, async () => ({ devLogin: options.devLogin }));
  if (!existsSync(options.root)) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send(`The demo page is not built (${options.root} is missing): run "npm run build".\n`),
    );
    return;
  }
  void app.register(fastifyStatic, {
    root: options.root,
    index: 'index.html',
    cacheControl: false,
    ...(options.sourceMaps ? {} : { allowedPath: (path: string) => !path.endsWith('.map') }),
  });
  // Browsers ask every origin for /favicon.ico (the page itself links favicon.svg).
  if (existsSync(join(options.root, 'favicon.svg'))) {
    app.get('/favicon.ico', { schema: { hide: true } }, (_request, reply) => reply.type('image/svg+xml').sendFile('favicon.svg'));
  }
}
