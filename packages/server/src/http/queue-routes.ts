import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { QUEUE_ID_PATTERN, type AgentStatusName, type Queue, type QueueDefinition } from '@callgate/protocol';
import type { QueueDirectory } from '../queues/queue-directory.js';
import { queueFiguresOf } from '../queues/queue-figures.js';
import { QueueDefinitionError, queueOf } from '../queues/queue-file.js';
import { queueRecordFigures, type QueueRecordFigures } from '../records/queue-stats.js';
import type { RecordWriter } from '../records/record-writer.js';
import type { RecordsSchema } from '../records/schema.js';
import type { StateBackend } from '../state/backend.js';
import type { Switchboard } from '../switchboard.js';
import { ApiError, requireAdmin, requireSupervisor, type ApiAccess } from './api-access.js';
import { apiScope, sendApiError } from './api-replies.js';
import { closeQueueLine } from './close-queue.js';
import { errorAnswers, noQuery } from './api-schemas.js';

export interface QueueRoutesOptions {
  directory: Pick<QueueDirectory, 'list' | 'lookup' | 'put' | 'remove'>;
  backend: Pick<StateBackend, 'line' | 'queueAgents'>;
  switchboard: Pick<Switchboard, 'handle' | 'handleQuietly'>;
  /** The records database, for the statistics. */
  db: Kysely<RecordsSchema>;
  writer: Pick<RecordWriter, 'settled'>;
  access: ApiAccess;
  now?: () => number;
}

/** A queue's live figures, as the API shows them beside its definition. */
export interface QueueLive {
  /** Customers in the line: waiting, or being offered to an agent. */
  waiting: number;
  longestWaitMs: number;
  /** Connected agents serving the queue, by status. */
  agents: Record<AgentStatusName, number>;
}

/** A queue as `GET /api/queues` lists it. */
export interface QueueView {
  id: string;
  definition: QueueDefinition;
  live: QueueLive;
}

/** `GET /api/queues/:id/stats`. */
export interface QueueStatsView {
  id: string;
  since: string;
  live: QueueLive;
  /** The queue's service-level target, in seconds. */
  serviceLevelTarget: number;
  records: QueueRecordFigures;
}

const READ_YOUR_WRITES_MS = 1000;
const UNAVAILABLE = { code: 'UNAVAILABLE', message: 'the records database or the state store cannot be used now; try again' };

const idParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: QUEUE_ID_PATTERN.source } },
} as const;

const statsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { since: { type: 'string', minLength: 1, maxLength: 40, description: 'ms since the epoch or an ISO 8601 time; default the start of today (UTC)' } },
} as const;

const tags = ['queues'];
const security = [{ bearer: [] }];

/** `since`: milliseconds since the epoch, or an ISO 8601 date or time; default the start of today (UTC). */
export function sinceOf(text: string | undefined, now: number): number {
  if (text === undefined) {
    const today = new Date(now);
    return Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  }
  const ms = /^\d{1,16}$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isSafeInteger(ms)) throw new ApiError(400, 'BAD_QUERY', 'since: milliseconds since the epoch or an ISO 8601 time (2026-11-25 or 2026-11-25T08:00:00Z)');
  return ms;
}

function definitionOf(queue: Queue): QueueDefinition {
  const { id: _id, ...definition } = queue;
  return definition;
}

/**
 * The contact centre's queues over REST (docs/records.md, "Queues API"): the admin key changes
 * them; the admin key or a supervisor's token reads them, live, and their statistics.
 */
export function registerQueueRoutes(app: FastifyInstance, options: QueueRoutesOptions): void {
  const { directory, backend, switchboard, db, writer, access } = options;
  const now = options.now ?? Date.now;
  const found = (id: string): Queue => {
    const queue = directory.lookup(id);
    if (!queue) throw new ApiError(404, 'QUEUE_NOT_FOUND', `no queue ${JSON.stringify(id)}`);
    return queue;
  };
  const liveOf = async (queue: Queue): Promise<QueueLive> => {
    const [line, agents] = await Promise.all([backend.line(queue.id), backend.queueAgents(queue.id)]);
    const { waiting, longestWaitMs, agents: byStatus } = queueFiguresOf(queue, line, agents, now());
    return { waiting, longestWaitMs, agents: byStatus as Record<AgentStatusName, number> };
  };
  const viewOf = async (queue: Queue): Promise<QueueView> => ({ id: queue.id, definition: definitionOf(queue), live: await liveOf(queue) });

  apiScope(app, { querystring: 'BAD_QUERY', params: 'BAD_QUEUE', body: 'BAD_QUEUE' }, (scope) => {
    scope.get('/api/queues', {
      schema: {
        summary: 'Every queue with its definition and live figures (admin key or supervisor)',
        tags, security,
        querystring: noQuery,
        response: {
          200: { type: 'object', additionalProperties: false, required: ['queues'], properties: { queues: { type: 'array', items: { $ref: 'Queue#' } } } },
          ...errorAnswers(400, 401, 403, 503),
        },
      },
    }, async (request, reply) => {
      try {
        await requireSupervisor(access, request.headers.authorization);
        return reply.send({ queues: await Promise.all(directory.list().map(viewOf)) });
      } catch (error) {
        return sendApiError(reply, error, UNAVAILABLE);
      }
    });

    scope.get<{ Params: { id: string } }>('/api/queues/:id', {
      schema: { summary: 'One queue', tags, security, params: idParams, querystring: noQuery, response: { 200: { $ref: 'Queue#' }, ...errorAnswers(400, 401, 403, 404, 503) } },
    }, async (request, reply) => {
      try {
        await requireSupervisor(access, request.headers.authorization);
        return reply.send(await viewOf(found(request.params.id)));
      } catch (error) {
        return sendApiError(reply, error, UNAVAILABLE);
      }
    });

    scope.put<{ Params: { id: string }; Body: unknown }>(
      '/api/queues/:id',
      {
        schema: {
          summary: 'Defines or replaces a queue (admin key)',
          tags, security,
          params: idParams,
          querystring: noQuery,
          body: { $ref: 'QueueDefinition#' },
          response: {
            200: { $ref: 'QueueDefinitionAnswer#' },
            201: { $ref: 'QueueDefinitionAnswer#' },
            ...errorAnswers(400, 401, 403, 413, 415, 503),
          },
        },
      },
      async (request, reply) => {
        try {
          await requireAdmin(access, request.headers.authorization);
          let queue: Queue;
          try {
            queue = queueOf(request.params.id, request.body);
          } catch (error) {
            if (error instanceof QueueDefinitionError) throw new ApiError(400, 'BAD_QUEUE', error.message);
            throw error;
          }
          const created = await directory.put(queue.id, definitionOf(queue));
          await switchboard.handleQuietly({ kind: 'route-queue', queue: queue.id });
          return reply.code(created ? 201 : 200).send({ id: queue.id, definition: definitionOf(queue) });
        } catch (error) {
          return sendApiError(reply, error, UNAVAILABLE);
        }
      },
    );

    scope.delete<{ Params: { id: string } }>('/api/queues/:id', {
      schema: {
        summary: 'Removes a queue; its waiting customers end as closed (admin key)',
        tags, security,
        params: idParams,
        querystring: noQuery,
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'deleted', 'closed'],
            properties: { id: { type: 'string' }, deleted: { type: 'boolean', const: true }, closed: { type: 'integer', minimum: 0 } },
          },
          ...errorAnswers(400, 401, 403, 404, 503),
        },
      },
    }, async (request, reply) => {
      try {
        await requireAdmin(access, request.headers.authorization);
        const { id } = request.params;
        if (!(await directory.remove(id))) throw new ApiError(404, 'QUEUE_NOT_FOUND', `no queue ${JSON.stringify(id)}`);
        const closed = await closeQueueLine(switchboard, backend, id);
        return reply.send({ id, deleted: true, closed });
      } catch (error) {
        return sendApiError(reply, error, UNAVAILABLE);
      }
    });

    scope.get<{ Params: { id: string }; Querystring: { since?: string } }>(
      '/api/queues/:id/stats',
      {
        schema: {
          summary: "A queue's figures since a time (admin key or supervisor)",
          tags, security,
          params: idParams,
          querystring: statsQuery,
          response: { 200: { $ref: 'QueueStats#' }, ...errorAnswers(400, 401, 403, 404, 503) },
        },
      },
      async (request, reply) => {
        try {
          await requireSupervisor(access, request.headers.authorization);
          const queue = found(request.params.id);
          const since = sinceOf(request.query.since, now());
          await writer.settled(READ_YOUR_WRITES_MS);
          const [live, records] = await Promise.all([liveOf(queue), queueRecordFigures(db, queue, since)]);
          const stats: QueueStatsView = { id: queue.id, since: new Date(since).toISOString(), live, serviceLevelTarget: queue.serviceLevel, records };
          return reply.send(stats);
        } catch (error) {
          return sendApiError(reply, error, UNAVAILABLE);
        }
      },
    );
  });
}
