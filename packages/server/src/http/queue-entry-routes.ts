import type { FastifyInstance } from 'fastify';
import { QUEUE_ID_PATTERN, USER_ID_PATTERN } from '@callgate/protocol';
import { ENTRY_OUTCOMES, entryCursorAfter, entryPositionOf, isEntryOutcome, toQueueEntryView } from '../records/entry-view.js';
import type { EntryQuery, QueueEntryStore } from '../records/queue-entry-store.js';
import type { RecordWriter } from '../records/record-writer.js';
import { ApiError, readsContactCentre, type ApiAccess, type Reader } from './api-access.js';
import { apiScope, pageOf, sendApiError } from './api-replies.js';
import { errorAnswers, noQuery } from './api-schemas.js';

export interface QueueEntryRoutesOptions {
  entries: Pick<QueueEntryStore, 'list' | 'get'>;
  writer: Pick<RecordWriter, 'settled'>;
  access: ApiAccess;
}

interface EntriesQuery {
  queue?: string;
  customer?: string;
  agent?: string;
  outcome?: string;
  limit: number;
  before?: string;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;
const READ_YOUR_WRITES_MS = 1000;
const UNAVAILABLE = { code: 'RECORDS_UNAVAILABLE', message: 'the records database cannot be read now; try again' };

const userId = { type: 'string', pattern: USER_ID_PATTERN.source } as const;

const entriesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    queue: { type: 'string', pattern: QUEUE_ID_PATTERN.source },
    customer: userId,
    agent: userId,
    outcome: { type: 'string', minLength: 1, maxLength: 100 },
    limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
    before: { type: 'string', minLength: 1, maxLength: 300 },
  },
} as const;

const entryParams = {
  type: 'object',
  additionalProperties: false,
  required: ['entryId'],
  properties: { entryId: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

/** The entries a reader asked for and may see: all for the admin and supervisors, else its own. */
function entryQuery(query: EntriesQuery, reader: Reader): EntryQuery {
  const outcomes = query.outcome?.split(',').map((o) => o.trim());
  for (const outcome of outcomes ?? []) {
    if (!isEntryOutcome(outcome)) throw new ApiError(400, 'BAD_QUERY', `outcome: ${JSON.stringify(outcome)} is not one of ${ENTRY_OUTCOMES.join(', ')}`);
  }
  const after = query.before === undefined ? undefined : entryPositionOf(query.before);
  if (query.before !== undefined && !after) throw new ApiError(400, 'BAD_CURSOR', 'before: pass the "next" value of the previous page unchanged');
  let party: string | undefined;
  if (reader.kind === 'user' && !readsContactCentre(reader)) {
    for (const [name, value] of [['customer', query.customer], ['agent', query.agent]] as const) {
      if (value !== undefined && value !== reader.userId) {
        throw new ApiError(403, 'FORBIDDEN', `${name}: a user access token reads only its own entries (${reader.userId})`);
      }
    }
    if (query.customer === undefined && query.agent === undefined) party = reader.userId;
  }
  return {
    ...(query.queue !== undefined ? { queue: query.queue } : {}),
    ...(query.customer !== undefined ? { customer: query.customer } : {}),
    ...(query.agent !== undefined ? { agent: query.agent } : {}),
    ...(party !== undefined ? { party } : {}),
    ...(outcomes !== undefined ? { outcomes } : {}),
    ...(after ? { after } : {}),
    limit: query.limit,
  };
}

/**
 * The queue entry records (docs/records.md, "Queue entries API"): `GET /api/queue-entries`
 * (newest first, cursor paging, filters) and `GET /api/queue-entries/:entryId`.
 */
export function registerQueueEntryRoutes(app: FastifyInstance, options: QueueEntryRoutesOptions): void {
  const { entries, writer, access } = options;
  apiScope(app, { querystring: 'BAD_QUERY', params: 'BAD_QUERY', body: 'BAD_QUERY' }, (scope) => {
    scope.get<{ Querystring: EntriesQuery }>('/api/queue-entries', {
      schema: {
        summary: 'Queue entry records, newest first, a page at a time',
        tags: ['queue entries'],
        security: [{ bearer: [] }],
        querystring: entriesQuery,
        response: { 200: { $ref: 'QueueEntryPage#' }, ...errorAnswers(400, 401, 403, 503) },
      },
    }, async (request, reply) => {
      try {
        const reader = await access.reader(request.headers.authorization);
        const query = entryQuery(request.query, reader);
        await writer.settled(READ_YOUR_WRITES_MS);
        const page = pageOf(await entries.list({ ...query, limit: query.limit + 1 }), query.limit, entryCursorAfter);
        return reply.send({ entries: page.rows.map(toQueueEntryView), next: page.next });
      } catch (error) {
        return sendApiError(reply, error, UNAVAILABLE);
      }
    });

    scope.get<{ Params: { entryId: string } }>(
      '/api/queue-entries/:entryId',
      {
        schema: {
          summary: 'One queue entry record',
          tags: ['queue entries'],
          security: [{ bearer: [] }],
          params: entryParams,
          querystring: noQuery,
          response: { 200: { $ref: 'QueueEntry#' }, ...errorAnswers(400, 401, 404, 503) },
        },
      },
      async (request, reply) => {
        try {
          const reader = await access.reader(request.headers.authorization);
          await writer.settled(READ_YOUR_WRITES_MS);
          const row = await entries.get(request.params.entryId);
          const visible = row && (readsContactCentre(reader) || (reader.kind === 'user' && (row.customer === reader.userId || row.agent === reader.userId)));
          if (!visible) throw new ApiError(404, 'NOT_FOUND', 'no queue entry with this id among the entries you may read');
          return reply.send(toQueueEntryView(row));
        } catch (error) {
          return sendApiError(reply, error, UNAVAILABLE);
        }
      },
    );
  });
}
