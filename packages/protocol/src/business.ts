import * as z from 'zod/mini';
import { Limits } from './limits.js';
import { errorMessageSchema, eventSchema, uint32Schema, userIdSchema, userStrSchema } from './messages.js';
import { parseWith, type ParseResult } from './parse.js';
import { userStateNameSchema } from './phases.js';

/**
 * The business link: a WebSocket at `<base URL>/business` over which business servers hear every
 * call event, decide on REQUESTs, end calls and look users up. See docs/business.md.
 */
export const BUSINESS_PATH = '/business';

const requestId = z.string().check(z.minLength(1), z.maxLength(Limits.CONTROL_ID_MAX));

/**
 * One call event as a business server sees it, on the business link and in webhooks.
 * `srcUserId` / `tarUserId`: see docs/business.md for who is who in each event.
 */
export const businessEventSchema = z.object({
  /** Unique per event; the same when the event is delivered again (after a failover or a retry). */
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  callId: z.string(),
  event: eventSchema,
  srcUserId: z.string(),
  tarUserId: z.string(),
  errorCode: z.number().check(z.int()),
  flags: uint32Schema,
  param: uint32Schema,
  userStr: z.string(),
  /** When the call got there, in ms since the epoch. */
  at: z.number().check(z.int()),
  /** True for a REQUEST that waits for this receiver's decision; the callee has not been told yet. */
  decide: z.boolean(),
});

export type BusinessEvent = z.infer<typeof businessEventSchema>;

/** What a webhook answers to a REQUEST with `decide` (an empty 2xx body allows too). */
/** A customer's priority in queues, as a business server may set it on entry: 0–100, higher first. */
export const customerPrioritySchema = z.number().check(z.int(), z.minimum(0), z.maximum(100));

/**
 * What a webhook answers to a REQUEST with `decide`, or to a `queue-entry` (an empty 2xx body
 * allows too). `priority` only counts for a queue entry.
 */
export const webhookVetoAnswerSchema = z.object({ errorCode: z.optional(uint32Schema), priority: z.optional(customerPrioritySchema) });

// ---- the contact centre ----

/**
 * The steps of a customer's queue entry a business server hears, in order per entry:
 * `entered`, then any number of `offered` (an agent's device rings) and `transferred`,
 * `answered` (the call started), one end (`served`, `abandoned`, `timeout` or `closed`), and after
 * a served call `wrapped-up` (the agent's wrap-up ended) and `rated` (the customer's rating).
 */
export const queueEventStepSchema = z.enum([
  'entered',
  'offered',
  'answered',
  'transferred',
  'served',
  'abandoned',
  'timeout',
  'closed',
  'wrapped-up',
  'rated',
]);
export type QueueEventStep = z.infer<typeof queueEventStepSchema>;

const optionalInt = z.optional(z.number().check(z.int()));

/** One step of a queue entry, on the business link (`queue-event`) and in webhooks (the same body). */
export const businessQueueEventSchema = z.object({
  /** Unique per notification; the same when it is delivered again. */
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  step: queueEventStepSchema,
  entryId: z.string(),
  /** The queue the entry is in (for `transferred`: the target queue). */
  queue: z.string(),
  /** The customer. */
  customer: z.optional(z.string()),
  /** When it happened, in ms since the epoch. */
  at: z.number().check(z.int()),
  /** `offered`, `answered`, `served`, `wrapped-up`, `rated`: the agent; `transferred` to an agent: that agent. */
  agent: z.optional(z.string()),
  /** The call with the agent (`offered`, `answered`, `served`, `wrapped-up`, `rated`). */
  callId: z.optional(z.string()),
  /** `entered`: the customer's priority in the queue. */
  priority: optionalInt,
  /** When the customer first entered (kept across transfers). */
  enteredAt: optionalInt,
  /** `answered` and every end: how long the customer waited, from first entering. */
  waitedMs: z.optional(z.number().check(z.int(), z.minimum(0))),
  /** `entered`: what the customer's `enterQueue` carried. */
  flags: z.optional(uint32Schema),
  param: z.optional(uint32Schema),
  userStr: z.optional(z.string()),
  /** `transferred`: who moved the customer, from which queue, to which queue (and agent). */
  transfer: z.optional(z.object({ by: z.string(), fromQueue: z.string(), toQueue: z.string(), toAgent: z.optional(z.string()) })),
  /** `wrapped-up`: the agent's disposition code and notes, when it gave them. */
  disposition: z.optional(z.string()),
  notes: z.optional(z.string()),
  /** `rated`: the customer's score (1–5) and comment. */
  score: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(5))),
  comment: z.optional(z.string()),
});
export type BusinessQueueEvent = z.infer<typeof businessQueueEventSchema>;

/**
 * A customer asks to enter a queue; the business server decides (acked with `errorCode` 0 to allow,
 * another code to refuse, and `priority` to set the customer's priority). Only sent while a
 * business server can decide; the entry does not exist yet.
 */
export const businessQueueEntrySchema = z.object({
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  customer: z.string(),
  queue: z.string(),
  flags: uint32Schema,
  param: uint32Schema,
  userStr: z.string(),
  at: z.number().check(z.int()),
});
export type BusinessQueueEntry = z.infer<typeof businessQueueEntrySchema>;

/**
 * The push hook (docs/business.md, "Waking a callee"): a REQUEST found no device of the callee
 * connected and waits up to `until` for one; wake the callee's app (`step: "wake"`, e.g. an APNs
 * VoIP or FCM message), or withdraw that notification (`step: "cancelled"`: the caller gave up or
 * the wait ended). On the business link (`push`, for links that turned it on) and in webhooks.
 */
export const businessPushSchema = z.object({
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  step: z.enum(['wake', 'cancelled']),
  callId: z.string(),
  caller: z.string(),
  callee: z.string(),
  flags: uint32Schema,
  param: uint32Schema,
  userStr: z.string(),
  /** When the REQUEST stops waiting for a device of the callee (ms since the epoch). */
  until: z.number().check(z.int()),
  at: z.number().check(z.int()),
});
export type BusinessPush = z.infer<typeof businessPushSchema>;

// ---- business server → Callgate ----

export const businessAuthMessageSchema = z.object({
  type: z.literal('auth'),
  secret: z.string().check(z.minLength(1), z.maxLength(Limits.TOKEN_MAX)),
  /** This business server sends pushes: it hears `push` events, and a REQUEST to a user with no device waits for the user. */
  push: z.optional(z.boolean()),
});

/** Turns this link's push hook on or off after authentication (the business SDK's `setOnPushCallback`). */
export const businessPushHookMessageSchema = z.object({ type: z.literal('push-hook'), enabled: z.boolean() });

/** The event `id` was handled; for a REQUEST with `decide`, `errorCode` is the decision (0 lets it ring). */
export const businessAckMessageSchema = z.object({
  type: z.literal('ack'),
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  errorCode: z.optional(uint32Schema),
  /** The business callback failed: the REQUEST is refused with BUSINESS_UNAVAILABLE (unless fail-open). */
  error: z.optional(z.string().check(z.maxLength(1024))),
  /** For a `queue-entry` allowed: the customer's priority in the queue. */
  priority: z.optional(customerPrioritySchema),
});

/** The seed `videoCallControl` of a business server; FINISH ends the call `userId` is in. */
export const businessControlMessageSchema = z.object({
  type: z.literal('control'),
  id: requestId,
  event: eventSchema,
  userId: userIdSchema,
  errorCode: z._default(uint32Schema, 0),
  flags: z._default(uint32Schema, 0),
  param: z._default(uint32Schema, 0),
  userStr: z._default(userStrSchema, ''),
});

export const userStateQuerySchema = z.object({
  type: z.literal('get-user-state'),
  id: requestId,
  userId: userIdSchema,
});

export const businessClientMessageSchema = z.discriminatedUnion('type', [
  businessAuthMessageSchema,
  businessAckMessageSchema,
  businessControlMessageSchema,
  userStateQuerySchema,
  businessPushHookMessageSchema,
]);

export type BusinessAuthMessage = z.infer<typeof businessAuthMessageSchema>;
export type BusinessAckMessage = z.infer<typeof businessAckMessageSchema>;
export type BusinessControlMessage = z.infer<typeof businessControlMessageSchema>;
export type UserStateQuery = z.infer<typeof userStateQuerySchema>;
export type BusinessClientMessage = z.infer<typeof businessClientMessageSchema>;

// ---- Callgate → business server ----

export const businessWelcomeMessageSchema = z.object({
  type: z.literal('welcome'),
  linkId: z.string(),
  /** How long Callgate waits for a REQUEST decision. */
  decisionTimeoutMs: z.number().check(z.int(), z.minimum(0)),
  heartbeat: z.object({ intervalMs: z.number().check(z.int(), z.positive()), timeoutMs: z.number().check(z.int(), z.positive()) }),
});

export const businessEventMessageSchema = z.extend(businessEventSchema, { type: z.literal('event') });
export const businessQueueEventMessageSchema = z.extend(businessQueueEventSchema, { type: z.literal('queue-event') });
export const businessQueueEntryMessageSchema = z.extend(businessQueueEntrySchema, { type: z.literal('queue-entry') });
export const businessPushMessageSchema = z.extend(businessPushSchema, { type: z.literal('push') });

/** The answer to a `control`: 0, or why it was not applied (NOTINCALL, INVALID_EVENT…). */
export const businessResultMessageSchema = z.object({
  type: z.literal('result'),
  id: z.string(),
  errorCode: z.number().check(z.int()),
});

export const userStateSchema = z.object({
  userId: z.string(),
  /** offline: not connected; calling: its REQUEST is being decided or rings; ringing: being called. */
  state: userStateNameSchema,
  /** The other party of the user's call. */
  peer: z.optional(z.string()),
  callId: z.optional(z.string()),
  /** Once the call has started. */
  roomId: z.optional(uint32Schema),
});

export const userStateMessageSchema = z.extend(userStateSchema, { type: z.literal('user-state'), id: z.string() });

export const businessServerMessageSchema = z.discriminatedUnion('type', [
  businessWelcomeMessageSchema,
  businessEventMessageSchema,
  businessQueueEventMessageSchema,
  businessQueueEntryMessageSchema,
  businessPushMessageSchema,
  businessResultMessageSchema,
  userStateMessageSchema,
  errorMessageSchema,
]);

export type BusinessWelcomeMessage = z.infer<typeof businessWelcomeMessageSchema>;
export type BusinessEventMessage = z.infer<typeof businessEventMessageSchema>;
export type BusinessQueueEventMessage = z.infer<typeof businessQueueEventMessageSchema>;
export type BusinessQueueEntryMessage = z.infer<typeof businessQueueEntryMessageSchema>;
export type BusinessPushMessage = z.infer<typeof businessPushMessageSchema>;
export type BusinessPushHookMessage = z.infer<typeof businessPushHookMessageSchema>;
/** What Callgate sends a business link and waits to be acked for: call events, entry steps, entry decisions and pushes. */
export type BusinessLinkEvent = BusinessEventMessage | BusinessQueueEventMessage | BusinessQueueEntryMessage | BusinessPushMessage;
export type BusinessResultMessage = z.infer<typeof businessResultMessageSchema>;
export type UserState = z.infer<typeof userStateSchema>;
export type UserStateMessage = z.infer<typeof userStateMessageSchema>;
export type BusinessServerMessage = z.infer<typeof businessServerMessageSchema>;

/**
 * Link events with the same key are delivered, and handled, one after another in order: the
 * events of a call, the steps of a queue entry; each entry decision stands alone.
 */
export function orderKeyOf(event: BusinessLinkEvent): string {
  switch (event.type) {
    case 'event':
      return `call:${event.callId}`;
    case 'queue-event':
      return `entry:${event.entryId}`;
    case 'queue-entry':
      return `entering:${event.id}`;
    case 'push':
      return `push:${event.callId}`;
  }
}

/** Whether a link event waits for a decision (a REQUEST with `decide`, or an entry decision). */
export const asksDecision = (event: BusinessLinkEvent): boolean => event.type === 'queue-entry' || (event.type === 'event' && event.decide);

/** Parse and validate a message received by Callgate on the business link. */
export function parseBusinessClientMessage(text: string): ParseResult<BusinessClientMessage> {
  return parseWith(businessClientMessageSchema, text);
}

/** Parse and validate a message received by a business server. */
export function parseBusinessServerMessage(text: string): ParseResult<BusinessServerMessage> {
  return parseWith(businessServerMessageSchema, text);
}
