import type { FastifyInstance } from 'fastify';
import { USER_ID_PATTERN } from '@callgate/protocol';
import type { CallRecordStore, RecordQuery } from '../records/record-store.js';
import type { RecordWriter } from '../records/record-writer.js';
import {
  CALL_OUTCOMES,
  MISSED_OUTCOMES,
  cursorAfter,
  isCallOutcome,
  positionOf,
  toCallRecordView,
} from '../records/record-view.js';
import { ApiError, type ApiAccess, type Reader } from './api-access.js';
import { apiScope, pageOf, sendApiError } from './api-replies.js';
import { errorAnswers, noQuery, userIdSchema } from './api-schemas.js';

export interface HistoryRoutesOptions {
  store: CallRecordStore;
  writer: RecordWriter;
  access: ApiAccess;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;
/** A read waits this long for records still queued, so that a call that just ended is listed. */
const READ_YOUR_WRITES_MS = 1000;

type Query = Record<string, string | string[] | undefined>;

const UNAVAILABLE = { code: 'RECORDS_UNAVAILABLE', message: 'the call records database cannot be read now; try again' };

/**
 * The parameters `/api/calls` takes; any other is 400 BAD_QUERY. An empty value is as if left
 * out; the rules between parameters (role needs user, missed…) are checked by `recordQuery`.
 */
const callsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    user: { anyOf: [userIdSchema, { type: 'string', maxLength: 0 }], description: 'calls this user was in; a user token: its own user' },
    role: { type: 'string', enum: ['caller', 'callee', 'any', ''], description: 'needs user; default any' },
    outcome: { type: 'string', maxLength: 300, description: `one outcome or a comma-separated list of ${CALL_OUTCOMES.join(', ')}` },
    missed: { type: 'string', enum: ['true', 'false', ''], description: 'true: the calls the user was called in that nobody took' },
    limit: { type: 'string', pattern: '^[0-9]{0,4}$', description: `1 … ${MAX_LIMIT}, default ${DEFAULT_LIMIT}` },
    before: { type: 'string', maxLength: 300, description: 'the `next` of the previous page' },
  },
} as const;

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new ApiError(400, 'BAD_QUERY', `${name}: give it once`);
  return value === '' ? undefined : value;
}

/** The records a reader asked for and may see. */
function recordQuery(query: Query, reader: Reader): RecordQuery & { missed: boolean } {
  const limitText = single(query, 'limit');
  const limit = limitText === undefined ? DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new ApiError(400, 'BAD_QUERY', `limit: an integer from 1 to ${MAX_LIMIT}`);
  }
  let user = single(query, 'user');
  if (user !== undefined && !USER_ID_PATTERN.test(user)) {
    throw new ApiError(400, 'BAD_QUERY', 'user: 1-64 characters of A-Z a-z 0-9 _ . @ -');
  }
  if (reader.kind === 'user') {
    if (user !== undefined && user !== reader.userId) {
      throw new ApiError(403, 'FORBIDDEN', `a user access token reads only its own calls (${reader.userId})`);
    }
    user = reader.userId;
  }
  const missedText = single(query, 'missed') ?? 'false';
  if (missedText !== 'true' && missedText !== 'false') throw new ApiError(400, 'BAD_QUERY', 'missed: true or false');
  const missed = missedText === 'true';
  const role = single(query, 'role') ?? (missed ? 'callee' : 'any');
  if (role !== 'caller' && role !== 'callee' && role !== 'any') {
    throw new ApiError(400, 'BAD_QUERY', 'role: caller, callee or any');
  }
  if (role !== 'any' && user === undefined) throw new ApiError(400, 'BAD_QUERY', 'role needs user');
  if (missed && role !== 'callee') throw new ApiError(400, 'BAD_QUERY', 'missed calls are those of the callee: drop role');
  const outcomeText = single(query, 'outcome');
  const outcomes = outcomeText === undefined ? undefined : outcomeText.split(',').map((o) => o.trim());
  for (const outcome of outcomes ?? []) {
    if (!isCallOutcome(outcome)) {
      throw new ApiError(400, 'BAD_QUERY', `outcome: ${JSON.stringify(outcome)} is not one of ${CALL_OUTCOMES.join(', ')}`);
    }
  }
  if (missed && outcomes?.some((o) => !MISSED_OUTCOMES.includes(o as never))) {
    throw new ApiError(400, 'BAD_QUERY', `missed calls have outcome ${MISSED_OUTCOMES.join(', ')}`);
  }
  const before = single(query, 'before');
  const after = before === undefined ? undefined : positionOf(before);
  if (before !== undefined && !after) {
    throw new ApiError(400, 'BAD_CURSOR', 'before: pass the "next" value of the previous page unchanged');
  }
  return {
    ...(user !== undefined ? { user } : {}),
    role,
    ...(outcomes !== undefined ? { outcomes } : missed ? { outcomes: MISSED_OUTCOMES } : {}),
    ...(after ? { after } : {}),
    limit,
    missed,
  };
}

/**
 * The call history: `GET /api/calls` (newest first, cursor paging, filters) and
 * `GET /api/calls/:callId`. See docs/records.md.
 */
export function registerHistoryRoutes(app: FastifyInstance, options: HistoryRoutesOptions): void {
  const { store, writer, access } = options;

  apiScope(app, { querystring: 'BAD_QUERY', params: 'BAD_QUERY', body: 'BAD_QUERY' }, (scope) => {
    scope.get<{ Querystring: Query }>('/api/calls', {
      schema: {
        summary: 'Call records, newest first, a page at a time',
        tags: ['history'],
        security: [{ bearer: [] }],
        querystring: callsQuery,
        response: { 200: { $ref: 'CallPage#' }, ...errorAnswers(400, 401, 403, 503) },
      },
    }, async (request, reply) => {
      try {
        const reader = await access.reader(request.headers.authorization);
        const query = recordQuery(request.query, reader);
        await writer.settled(READ_YOUR_WRITES_MS);
        const page = pageOf(await store.list({ ...query, limit: query.limit + 1 }), query.limit, cursorAfter);
        return reply.send({ calls: page.rows.map(toCallRecordView), next: page.next });
      } catch (error) {
        return sendApiError(reply, error, UNAVAILABLE);
      }
    });

    scope.get<{ Params: { callId: string } }>('/api/calls/:callId', {
      schema: {
        summary: 'One call record',
        tags: ['history'],
        security: [{ bearer: [] }],
        params: { type: 'object', additionalProperties: false, required: ['callId'], properties: { callId: { type: 'string', minLength: 1, maxLength: 128 } } },
        querystring: noQuery,
        response: { 200: { $ref: 'CallRecord#' }, ...errorAnswers(400, 401, 404, 503) },
      },
    }, async (request, reply) => {
      try {
        const reader = await access.reader(request.headers.authorization);
        await writer.settled(READ_YOUR_WRITES_MS);
        const row = await store.get(request.params.callId);
        const visible = row && (reader.kind === 'admin' || row.caller === reader.userId || row.callee === reader.userId);
        if (!visible) throw new ApiError(404, 'NOT_FOUND', 'no call with this id among the calls you may read');
        return reply.send(toCallRecordView(row));
      } catch (error) {
        return sendApiError(reply, error, UNAVAILABLE);
      }
    });
  });
}
