import type { FastifyInstance } from 'fastify';
import { QUEUE_ID_PATTERN, USER_ID_PATTERN } from '@callgate/protocol';
import { ENTRY_OUTCOMES } from '../records/entry-view.js';
import { CALL_OUTCOMES } from '../records/record-view.js';

/**
 * The JSON schemas the REST API shares (docs/records.md): fastify validates requests and
 * serializes answers with them, and the OpenAPI document (`GET /api/openapi.json`) lists each once
 * under `components.schemas`, by its `$id`.
 */

/** `{ "error": { "code", "message" } }`: every 4xx and 5xx the API answers. */
export const apiErrorSchema = {
  $id: 'ApiError',
  type: 'object',
  description: 'Every 4xx and 5xx answer of the API (docs/records.md, "Errors")',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'BAD_QUERY, BAD_CURSOR, UNAUTHORIZED, TOKEN_EXPIRED, FORBIDDEN, NOT_FOUND, …' },
        message: { type: 'string' },
      },
    },
  },
} as const;

const nullable = (type: 'string' | 'integer' | 'number') => ({ type: [type, 'null'] }) as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

export const callRecordSchema = {
  $id: 'CallRecord',
  type: 'object',
  description: 'One call record (docs/records.md, "Schema: call_records")',
  additionalProperties: false,
  required: ['callId', 'caller', 'callee', 'flags', 'param', 'userStr', 'roomId', 'phase', 'outcome', 'errorCode', 'endedBy', 'endedIn',
    'requestedAt', 'ringingAt', 'answeredAt', 'startedAt', 'endedAt', 'durationMs', 'queue', 'entryId', 'disposition', 'notes', 'rating', 'pushed', 'wokeAfterMs', 'answeredOn'],
  properties: {
    callId: { type: 'string' },
    caller: { type: 'string' },
    callee: { type: 'string' },
    flags: { type: 'integer' },
    param: { type: 'integer' },
    userStr: { type: 'string' },
    roomId: nullable('integer'),
    phase: { type: 'string', enum: ['dialing', 'ringing', 'talking', 'ended'] },
    outcome: { type: ['string', 'null'], enum: [...CALL_OUTCOMES, null] },
    errorCode: nullable('integer'),
    endedBy: nullable('string'),
    endedIn: nullable('string'),
    requestedAt: time,
    ringingAt: nullableTime,
    answeredAt: nullableTime,
    startedAt: nullableTime,
    endedAt: nullableTime,
    durationMs: nullable('integer'),
    queue: nullable('string'),
    entryId: nullable('string'),
    disposition: nullable('string'),
    notes: nullable('string'),
    pushed: { type: ['boolean', 'null'], description: 'whether the callee was being woken by a push hook (false: its devices were in their grace period); null when it had a device to ring' },
    wokeAfterMs: { ...nullable('integer'), description: 'for a call that waited for a device of the callee: how long until it rang' },
    answeredOn: { ...nullable('string'), description: "the callee's device that answered" },
    rating: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['score', 'comment', 'ratedAt'],
      properties: { score: { type: 'integer' }, comment: { type: 'string' }, ratedAt: time },
    },
  },
} as const;

export const callPageSchema = {
  $id: 'CallPage',
  type: 'object',
  additionalProperties: false,
  required: ['calls', 'next'],
  properties: {
    calls: { type: 'array', items: { $ref: 'CallRecord#' } },
    next: { type: ['string', 'null'], description: 'the `before` of the next page; null on the last page' },
  },
} as const;

export const queueEntrySchema = {
  $id: 'QueueEntry',
  type: 'object',
  description: 'One queue entry record (docs/records.md, "Schema: queue_entries")',
  additionalProperties: false,
  required: ['entryId', 'queue', 'firstQueue', 'customer', 'priority', 'flags', 'userStr', 'state', 'outcome', 'enteredAt', 'queuedAt',
    'answeredAt', 'endedAt', 'waitedMs', 'agent', 'callId', 'offers', 'transfers', 'endedBy'],
  properties: {
    entryId: { type: 'string' },
    queue: { type: 'string' },
    firstQueue: { type: 'string' },
    customer: { type: 'string' },
    priority: { type: 'integer' },
    flags: { type: 'integer' },
    userStr: { type: 'string' },
    state: { type: 'string', enum: ['waiting', 'offered', 'connected', 'ended'] },
    outcome: { type: ['string', 'null'], enum: [...ENTRY_OUTCOMES, null] },
    enteredAt: time,
    queuedAt: time,
    answeredAt: nullableTime,
    endedAt: nullableTime,
    waitedMs: nullable('integer'),
    agent: nullable('string'),
    callId: nullable('string'),
    offers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['agent', 'at', 'callId', 'result'],
        properties: { agent: { type: 'string' }, at: time, callId: { type: 'string' }, result: nullable('string') },
      },
    },
    transfers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['at', 'by', 'fromQueue', 'toQueue'],
        properties: { at: time, by: { type: 'string' }, fromQueue: { type: 'string' }, toQueue: { type: 'string' }, toAgent: { type: 'string' } },
      },
    },
    endedBy: nullable('string'),
  },
} as const;

export const entryPageSchema = {
  $id: 'QueueEntryPage',
  type: 'object',
  additionalProperties: false,
  required: ['entries', 'next'],
  properties: {
    entries: { type: 'array', items: { $ref: 'QueueEntry#' } },
    next: { type: ['string', 'null'] },
  },
} as const;

const count = { type: 'integer', minimum: 0 } as const;

export const queueLiveSchema = {
  $id: 'QueueLive',
  type: 'object',
  description: "A queue's live figures, from the state backend (the whole cluster's)",
  additionalProperties: false,
  required: ['waiting', 'longestWaitMs', 'agents'],
  properties: {
    waiting: count,
    longestWaitMs: count,
    agents: {
      type: 'object',
      description: 'agents serving the queue, by status',
      additionalProperties: count,
    },
  },
} as const;

/** A queue's definition as `PUT /api/queues/:id` takes it; its fields are checked by the queues file's rules (docs/contact-centre.md). */
export const queueDefinitionSchema = {
  $id: 'QueueDefinition',
  type: 'object',
  description: 'The fields of the queues file (docs/contact-centre.md); unknown or wrong fields are 400 BAD_QUEUE',
  additionalProperties: true,
} as const;

export const queueSchema = {
  $id: 'Queue',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'definition', 'live'],
  properties: { id: { type: 'string' }, definition: { $ref: 'QueueDefinition#' }, live: { $ref: 'QueueLive#' } },
} as const;

export const queueDefinitionAnswerSchema = {
  $id: 'QueueDefinitionAnswer',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'definition'],
  properties: { id: { type: 'string' }, definition: { $ref: 'QueueDefinition#' } },
} as const;

export const queueStatsSchema = {
  $id: 'QueueStats',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'since', 'live', 'serviceLevelTarget', 'records'],
  properties: {
    id: { type: 'string' },
    since: time,
    live: { $ref: 'QueueLive#' },
    serviceLevelTarget: { type: 'number', description: 'seconds' },
    records: {
      type: 'object',
      additionalProperties: false,
      required: ['entered', 'served', 'abandoned', 'timeout', 'closed', 'transferred', 'averageWaitMs', 'averageHandleMs', 'serviceLevel', 'answeredInTarget', 'ended'],
      properties: {
        entered: count,
        served: count,
        abandoned: count,
        timeout: count,
        closed: count,
        transferred: count,
        averageWaitMs: nullable('number'),
        averageHandleMs: nullable('number'),
        serviceLevel: nullable('number'),
        answeredInTarget: count,
        ended: count,
      },
    },
  },
} as const;

/** Every shared schema, in the order they refer to each other. */
const sharedSchemas = [apiErrorSchema, callRecordSchema, callPageSchema, queueEntrySchema, entryPageSchema, queueLiveSchema, queueDefinitionSchema, queueDefinitionAnswerSchema, queueSchema, queueStatsSchema];

export function addApiSchemas(app: FastifyInstance): void {
  for (const schema of sharedSchemas) app.addSchema(schema);
}

/** The error answers of a route, each the shared ApiError. */
export function errorAnswers(...statuses: number[]): Record<number, { $ref: string }> {
  return Object.fromEntries(statuses.map((status) => [status, { $ref: 'ApiError#' }]));
}

/** A querystring that takes no parameter at all: any is 400 BAD_QUERY. */
export const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

export const userIdSchema = { type: 'string', pattern: USER_ID_PATTERN.source, maxLength: 64 } as const;
export const queueIdSchema = { type: 'string', pattern: QUEUE_ID_PATTERN.source } as const;
