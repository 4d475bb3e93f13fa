import { z } from 'zod';
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

export const queueIdSchema = z.string().regex(QUEUE_ID_PATTERN, 'queue ids are 1-64 characters of A-Z a-z 0-9 _ . -');
export const tagSchema = z.string().regex(TAG_PATTERN, '1-64 characters of A-Z a-z 0-9 _ . -');

/** auto: the server offers the next customer to a free agent; manual: agents pull with "next customer". */
export const queueModeSchema = z.enum(['auto', 'manual']);

/** A queue's definition, as `--queues FILE` and `PUT /api/queues/:id` take it (times in seconds). */
export const queueDefinitionSchema = z
  .object({
    name: z.string().min(1).max(QueueLimits.NAME_MAX),
    /** Higher is served first. */
    priority: z.number().int().min(-1000).max(1000).default(0),
    mode: queueModeSchema.default('auto'),
    /** Skills an agent needs, all of them, to be offered this queue's customers. */
    skills: z.array(tagSchema).max(32).default([]),
    /** How long an offer rings at an agent before it goes to the next one. */
    offerTimeout: z.number().positive().max(3600).default(20),
    /** Wrap-up after a call, in seconds; 0 = none. */
    wrapUp: z.number().min(0).max(3600).default(10),
    /** Longest wait; then the entry ends as `timeout`. */
    maxWait: z.number().positive().max(86_400).default(600),
    /** Most customers in the queue at once. */
    maxLength: z.number().int().min(1).max(100_000).default(1000),
    /** Service-level target: a customer answered within this many seconds counts as served in time. */
    serviceLevel: z.number().positive().max(86_400).default(20),
  })
  .strict();

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

const controlId = z.string().min(1).max(Limits.CONTROL_ID_MAX);

/** A customer asks for a queue. Answered by `ack { entryId }` (and `entry` messages) or `error`. */
export const enterQueueMessageSchema = z.object({
  type: z.literal('queue.enter'),
  id: controlId.optional(),
  queue: queueIdSchema,
  flags: uint32Schema.default(0),
  param: uint32Schema.default(0),
  userStr: userStrSchema.default(''),
});

/** The customer leaves its queue (before an agent took it). */
export const leaveQueueMessageSchema = z.object({ type: z.literal('queue.leave'), id: controlId.optional() });

/** An agent sets itself available or away; the server moves it through offered, talking and wrap-up. */
export const agentStatusMessageSchema = z.object({
  type: z.literal('agent.status'),
  id: controlId.optional(),
  status: z.enum(['available', 'away']),
  reason: z.string().min(1).max(QueueLimits.REASON_MAX).optional(),
});

/** Manual mode: the agent takes the head of its queues at once. `ack { callId }`, or `ack { empty: true }`. */
export const nextCustomerMessageSchema = z.object({ type: z.literal('agent.next'), id: controlId.optional() });

/** The agent ends its wrap-up, with a disposition and notes kept in the call's record. */
export const endWrapUpMessageSchema = z.object({
  type: z.literal('agent.wrap-up.end'),
  id: controlId.optional(),
  disposition: tagSchema.optional(),
  notes: z.string().max(QueueLimits.NOTES_MAX).optional(),
});

/** During a queue call the agent hands the customer to another queue or a named agent. */
export const transferMessageSchema = z
  .object({
    type: z.literal('call.transfer'),
    id: controlId.optional(),
    queue: queueIdSchema.optional(),
    agent: z.string().regex(USER_ID_PATTERN).optional(),
  })
  .refine((m) => (m.queue === undefined) !== (m.agent === undefined), 'give exactly one of queue or agent');

/** The customer rates a served call, once, within 10 minutes. */
export const rateCallMessageSchema = z.object({
  type: z.literal('call.rate'),
  id: controlId.optional(),
  callId: z.string().min(1).max(128),
  score: z.number().int().min(1).max(5),
  comment: z.string().max(QueueLimits.NOTES_MAX).default(''),
});

/** The queues a customer may choose from (ids and names). Answered by `queues.list`. */
export const listQueuesMessageSchema = z.object({ type: z.literal('queues.list'), id: controlId });

/** A supervisor watches the queues and agents live; `stop` ends the watch. */
export const watchQueuesMessageSchema = z.object({ type: z.literal('queues.watch'), stop: z.boolean().default(false) });

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
  outcome: entryOutcomeSchema.optional(),
  /** When the customer first entered (kept across transfers), ms since the epoch. */
  enteredAt: z.number().int(),
  /** The call with the agent, once offered. */
  callId: z.string().optional(),
  /** The agent offered or talking. */
  agent: z.string().optional(),
  /** The last transfer: who handed the customer from which queue (or agent) to which. */
  transfer: z.object({ by: z.string(), fromQueue: z.string(), toQueue: z.string(), toAgent: z.string().optional() }).optional(),
});
export type EntryView = z.infer<typeof entryViewSchema>;

export const entryMessageSchema = z.object({ type: z.literal('entry'), seq: z.number().int().positive(), entry: entryViewSchema });

/** Where a waiting customer stands; sent when it changes, at most once a second per customer. */
export const entryPositionSchema = z.object({
  entryId: z.string(),
  /** 1 = next. */
  position: z.number().int().min(1),
  ahead: z.number().int().min(0),
  waitedMs: z.number().int().min(0),
  estimatedWaitMs: z.number().int().min(0),
  agentsAvailable: z.number().int().min(0),
});
export type EntryPosition = z.infer<typeof entryPositionSchema>;
export const entryPositionMessageSchema = entryPositionSchema.extend({ type: z.literal('entry.position') });

/** An agent's status, sent to the agent (numbered, like call events). */
export const agentStateSchema = z.object({
  status: agentStatusSchema,
  reason: z.string().optional(),
  /** Since when (ms since the epoch). */
  since: z.number().int(),
  queues: z.array(z.string()),
});
export type AgentState = z.infer<typeof agentStateSchema>;
export const agentMessageSchema = agentStateSchema.extend({ type: z.literal('agent'), seq: z.number().int().positive() });

/** Live figures of one queue, for supervisors. */
export const queueFiguresSchema = z.object({
  id: z.string(),
  name: z.string(),
  mode: queueModeSchema,
  priority: z.number().int(),
  serviceLevel: z.number(),
  waiting: z.number().int().min(0),
  /** Of the customers waiting now, the longest wait so far (0 when none waits). */
  longestWaitMs: z.number().int().min(0),
  /** Connected agents serving the queue, by status. */
  agents: z.record(agentStatusSchema, z.number().int().min(0)),
});
export type QueueFigures = z.infer<typeof queueFiguresSchema>;

/** One agent, for supervisors. */
export const agentFiguresSchema = agentStateSchema.extend({ userId: z.string(), connected: z.boolean() });
export type AgentFigures = z.infer<typeof agentFiguresSchema>;

/** The board: the whole picture (`snapshot: true`) or what changed. */
export const queuesMessageSchema = z.object({
  type: z.literal('queues'),
  snapshot: z.boolean(),
  queues: z.array(queueFiguresSchema),
  agents: z.array(agentFiguresSchema),
  /** Agents that went offline for good (they leave the board). */
  gone: z.array(z.string()).default([]),
});

/** The answer to `queues.list`. */
export const queueListMessageSchema = z.object({
  type: z.literal('queues.list'),
  id: z.string(),
  queues: z.array(z.object({ id: z.string(), name: z.string(), mode: queueModeSchema })),
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
