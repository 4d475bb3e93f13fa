import type { FastifyInstance } from 'fastify';
import type { CallMetrics } from '../observability/call-metrics.js';
import type { ApiAccess } from './api-access.js';
import { registerHistoryRoutes, type HistoryRoutesOptions } from './history-routes.js';
import { registerMetricsRoute } from './metrics-route.js';
import { registerQueueEntryRoutes, type QueueEntryRoutesOptions } from './queue-entry-routes.js';
import { registerQueueRoutes, type QueueRoutesOptions } from './queue-routes.js';

export interface RestApiOptions {
  access: ApiAccess;
  history: Omit<HistoryRoutesOptions, 'access'>;
  queues: Omit<QueueRoutesOptions, 'access'>;
  entries: Omit<QueueEntryRoutesOptions, 'access'>;
  metrics: CallMetrics;
}

/**
 * Every REST route beside those of `createHttpApp` (health, dev login, demo): the history, the
 * queues, the queue entries and /metrics. One place, so that the OpenAPI test sees what the server serves.
 */
export function registerRestApi(app: FastifyInstance, options: RestApiOptions): void {
  const { access } = options;
  registerHistoryRoutes(app, { ...options.history, access });
  registerQueueRoutes(app, { ...options.queues, access });
  registerQueueEntryRoutes(app, { ...options.entries, access });
  registerMetricsRoute(app, options.metrics);
}
