import type { FastifyInstance } from 'fastify';
import type { CallMetrics } from '../observability/call-metrics.js';
import { errorAnswers, noQuery } from './api-schemas.js';

/** `GET /metrics`: Prometheus text format. */
export function registerMetricsRoute(app: FastifyInstance, metrics: CallMetrics): void {
  app.get('/metrics', {
    schema: {
      summary: 'Prometheus metrics (docs/records.md, "Metrics")',
      tags: ['health'],
      querystring: noQuery,
      response: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errorAnswers(400) },
    },
  }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));
}
