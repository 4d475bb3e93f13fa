import * as z from 'zod/mini';
import { Limits, USER_ID_PATTERN } from './limits.js';
import { uint32Schema, userStrSchema } from './fields.js';

/**
 * The contact centre on the wire: customers wait in queues, agents take them, supervisors watch.
 * See docs/contact-centre.md for the model and docs/protocol.md for the messages.
 */

/** A queue id: 1–64 characters of A-Z a-z 0-9 _ . -. */
export const QUEUE_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** A skill or a disposition code: 1–64 characters of A-Z a-z 0-9 _ . - */
export const TAG_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export const QueueLimits = {
  /** Longest queue name, in characters. */
  NAME_MAX: 100,
  /** Longest away reason, in characters. */
  REASON_MAX: 64,
  /** Longest wrap-up notes and rating comment, in characters. */
  NOTES_MAX: 2000,
  /** How long after a served call its customer may rate it. */
  RATING_WINDOW_MS: 10 * 60_000,
} as const;

export const queueIdSchema = z.string().check(z.regex(QUEUE_ID_PATTERN, 'queue ids are 1-64 characters of A-Z a-z 0-9 _ . -'));
export const tagSchema = z.string().check(z.regex(TAG_PATTERN, '1-64 characters of A-Z a-z 0-9 _ . -'));

/** auto: the server offers the next customer to a free agent; manual: agents pull with "next customer". */
export const queueModeSchema = z.enum(['auto', 'manual']);

/** A queue's definition, as `--queues FILE` and `PUT /api/queues/:id` take it (times in seconds). */
export const queueDefinitionSchema = z.strictObject({
  name: z.string().check(z.minLength(1), z.maxLength(QueueLimits.NAME_MAX)),
  /** Higher is served first. */
  priority: z._default(z.number().check(z.int(), z.minimum(-1000), z.maximum(1000)), 0),
  mode: z._default(queueModeSchema, 'auto'),
  /** Skills an agent needs, all of them, to be offered this queue's customers. */
  skills: z._default(z.array(tagSchema).check(z.maxLength(32)), []),
  /** How long an offer rings at an agent before it goes to the next one. */
  offerTimeout: z._default(z.number().check(z.positive(), z.maximum(3600)), 20),
  /** Wrap-up after a call, in seconds; 0 = none. */
  wrapUp: z._default(z.number().check(z.minimum(0), z.maximum(3600)), 10),
  /** Longest wait; then the entry ends as `timeout`. */
  maxWait: z._default(z.number().check(z.positive(), z.maximum(86_400)), 600),
  /** Most customers in the queue at once. */
  maxLength: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(100_000)), 1000),
  /** Service-level target: a customer answered within this many seconds counts as served in time. */
  serviceLevel: z._default(z.number().check(z.positive(), z.maximum(86_400)), 20),
});

export type QueueDefinitionInput = z.input<typeof queueDefinitionSchema>;
export type QueueDefinition = z.infer<typeof queueDefinitionSchema>;
export type Queue = QueueDefinition & { id: string };

/** waiting → offered (an agent's device rings) → connected (in the call) → ended. */
export const entryStateSchema = z.enum(['waiting', 'offered', 'connected', 'ended']);
export const entryOutcomeSchema = z.enum(['served', 'abandoned', 'timeout', 'closed']);
export type EntryState = z.infer<typeof entryStateSchema>;
export type EntryOutcome = z.infer<typeof entryOutcomeSchema>;

/** The agent's service status. offline: no device connected. */
export const agentStatusSchema = z.enum(['offline', 'available', 'offered', 'talking', 'wrap-up', 'away']);
export type AgentStatusName = z.infer<typeof agentStatusSchema>;

// ---- client → server ----

const controlId = z.string().check(z.minLength(1), z.maxLength(Limits.CONTROL_ID_MAX));

/** A customer asks for a queue. Answered by `ack { entryId }` (and `entry` messages) or `error`. */
export const enterQueueMessageSchema = z.object({
  type: z.literal('queue.enter'),
  id: z.optional(controlId),
  queue: queueIdSchema,
  flags: z._default(uint32Schema, 0),
  param: z._default(uint32Schema, 0),
  userStr: z._default(userStrSchema, ''),
});

/** The customer leaves its queue (before an agent took it). */
export const leaveQueueMessageSchema = z.object({ type: z.literal('queue.leave'), id: z.optional(controlId) });

/** An agent sets itself available or away; the server moves it through offered, talking and wrap-up. */
export const agentStatusMessageSchema = z.object({
  type: z.literal('agent.status'),
  id: z.optional(controlId),
  status: z.enum(['available', 'away']),
  reason: z.optional(z.string().check(z.minLength(1), z.maxLength(QueueLimits.REASON_MAX))),
});

/** Manual mode: the agent takes the head of its queues at once. `ack { callId }`, or `ack { empty: true }`. */
export const nextCustomerMessageSchema = z.object({ type: z.literal('agent.next'), id: z.optional(controlId) });

/** The agent ends its wrap-up, with a disposition and notes kept in the call's record. */
export const endWrapUpMessageSchema = z.object({
  type: z.literal('agent.wrap-up.end'),
  id: z.optional(controlId),
  disposition: z.optional(tagSchema),
  notes: z.optional(z.string().check(z.maxLength(QueueLimits.NOTES_MAX))),
});

/** During a queue call the agent hands the customer to another queue or a named agent. */
export const transferMessageSchema = z
  .object({
    type: z.literal('call.transfer'),
    id: z.optional(controlId),
    queue: z.optional(queueIdSchema),
    agent: z.optional(z.string().check(z.regex(USER_ID_PATTERN))),
  })
  .check(z.refine((m) => (m.queue === undefined) !== (m.agent === undefined), 'give exactly one of queue or agent'));

/** The customer rates a served call, once, within 10 minutes. */
export const rateCallMessageSchema = z.object({
  type: z.literal('call.rate'),
  id: z.optional(controlId),
  callId: z.string().check(z.minLength(1), z.maxLength(128)),
  score: z.number().check(z.int(), z.minimum(1), z.maximum(5)),
  comment: z._default(z.string().check(z.maxLength(QueueLimits.NOTES_MAX)), ''),
});

/** The queues a customer may choose from (ids and names). Answered by `queues.list`. */
export const listQueuesMessageSchema = z.object({ type: z.literal('queues.list'), id: controlId });

/** A supervisor watches the queues and agents live; `stop` ends the watch. */
export const watchQueuesMessageSchema = z.object({ type: z.literal('queues.watch'), id: z.optional(controlId), stop: z._default(z.boolean(), false) });

export const contactCentreClientMessages = [
  enterQueueMessageSchema,
  leaveQueueMessageSchema,
  agentStatusMessageSchema,
  nextCustomerMessageSchema,
  endWrapUpMessageSchema,
  transferMessageSchema,
  rateCallMessageSchema,
  listQueuesMessageSchema,
  watchQueuesMessageSchema,
] as const;

/** The contact-centre messages a client sends. */
export type ContactCentreClientMessage = z.infer<(typeof contactCentreClientMessages)[number]>;
export type EnterQueueMessage = z.infer<typeof enterQueueMessageSchema>;
export type LeaveQueueMessage = z.infer<typeof leaveQueueMessageSchema>;
export type AgentStatusMessage = z.infer<typeof agentStatusMessageSchema>;
export type NextCustomerMessage = z.infer<typeof nextCustomerMessageSchema>;
export type EndWrapUpMessage = z.infer<typeof endWrapUpMessageSchema>;
export type TransferMessage = z.infer<typeof transferMessageSchema>;
export type RateCallMessage = z.infer<typeof rateCallMessageSchema>;
export type ListQueuesMessage = z.infer<typeof listQueuesMessageSchema>;
export type WatchQueuesMessage = z.infer<typeof watchQueuesMessageSchema>;

// ---- server → client ----

/** A customer's entry, as its owner sees it. State changes come numbered (`seq`), like call events. */
export const entryViewSchema = z.object({
  id: z.string(),
  queue: z.string(),
  state: entryStateSchema,
  /** Once ended. */
  outcome: z.optional(entryOutcomeSchema),
  /** When the customer first entered (kept across transfers), ms since the epoch. */
  enteredAt: z.number().check(z.int()),
  /** The call with the agent, once offered. */
  callId: z.optional(z.string()),
  /** The agent offered or talking. */
  agent: z.optional(z.string()),
  /** The last transfer: who handed the customer from which queue (or agent) to which. */
  transfer: z.optional(z.object({ by: z.string(), fromQueue: z.string(), toQueue: z.string(), toAgent: z.optional(z.string()) })),
});
export type EntryView = z.infer<typeof entryViewSchema>;

export const entryMessageSchema = z.object({ type: z.literal('entry'), seq: z.number().check(z.int(), z.positive()), entry: entryViewSchema });

const count = z.number().check(z.int(), z.minimum(0));

/** Where a waiting customer stands; sent when it changes, at most once a second per customer. */
export const entryPositionSchema = z.object({
  entryId: z.string(),
  /** 1 = next. */
  position: z.number().check(z.int(), z.minimum(1)),
  ahead: count,
  waitedMs: count,
  estimatedWaitMs: count,
  agentsAvailable: count,
});
export type EntryPosition = z.infer<typeof entryPositionSchema>;
export const entryPositionMessageSchema = z.extend(entryPositionSchema, { type: z.literal('entry.position') });

/** An agent's status, sent to the agent (numbered, like call events). */
export const agentStateSchema = z.object({
  status: agentStatusSchema,
  reason: z.optional(z.string()),
  /** Since when (ms since the epoch). */
  since: z.number().check(z.int()),
  queues: z.array(z.string()),
});
export type AgentState = z.infer<typeof agentStateSchema>;
export const agentMessageSchema = z.extend(agentStateSchema, { type: z.literal('agent'), seq: z.number().check(z.int(), z.positive()) });

/** Live figures of one queue, for supervisors. */
export const queueFiguresSchema = z.object({
  id: z.string(),
  name: z.string(),
  mode: queueModeSchema,
  priority: z.number().check(z.int()),
  serviceLevel: z.number(),
  waiting: count,
  /** Of the customers waiting now, the longest wait so far (0 when none waits). */
  longestWaitMs: count,
  /** Connected agents serving the queue, by status. */
  agents: z.record(agentStatusSchema, count),
});
export type QueueFigures = z.infer<typeof queueFiguresSchema>;

/** One agent, for supervisors. */
export const agentFiguresSchema = z.extend(agentStateSchema, { userId: z.string(), connected: z.boolean() });
export type AgentFigures = z.infer<typeof agentFiguresSchema>;

/** The board: the whole picture (`snapshot: true`) or what changed. */
export const queuesMessageSchema = z.object({
  type: z.literal('queues'),
  snapshot: z.boolean(),
  queues: z.array(queueFiguresSchema),
  agents: z.array(agentFiguresSchema),
  /** Agents that went offline for good (they leave the board). */
  gone: z._default(z.array(z.string()), []),
});

/** The answer to `queues.list`. */
export const queueListMessageSchema = z.object({
  type: z.literal('queues.list'),
  id: z.string(),
  queues: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      mode: queueModeSchema,
      /** Seconds an offer rings at an agent before it goes to the next one. */
      offerTimeout: z.optional(z.number()),
      /** Seconds of wrap-up after a served call (0: none). */
      wrapUp: z.optional(z.number()),
      /** To agents and supervisors: how many customers wait in the queue now. */
      waiting: z.optional(z.number().check(z.int(), z.minimum(0))),
    }),
  ),
});

export const contactCentreServerMessages = [
  entryMessageSchema,
  entryPositionMessageSchema,
  agentMessageSchema,
  queuesMessageSchema,
  queueListMessageSchema,
] as const;

/** The contact-centre messages a client receives. */
export type ContactCentreServerMessage = z.infer<(typeof contactCentreServerMessages)[number]>;
export type EntryMessage = z.infer<typeof entryMessageSchema>;
export type EntryPositionMessage = z.infer<typeof entryPositionMessageSchema>;
export type AgentMessage = z.infer<typeof agentMessageSchema>;
export type QueuesMessage = z.infer<typeof queuesMessageSchema>;
export type QueueListMessage = z.infer<typeof queueListMessageSchema>;
