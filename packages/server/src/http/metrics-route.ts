import type { FastifyInstance } from 'fastify';
import type { CallMetrics } from '../observability/call-metrics.js';

/** `GET /metrics`: Prometheus text format. */
export function registerMetricsRoute(app: FastifyInstance, metrics: CallMetrics): void {
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));
}
