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
export const webhookVetoAnswerSchema = z.object({ errorCode: z.optional(uint32Schema) });

// ---- business server → Callgate ----

export const businessAuthMessageSchema = z.object({
  type: z.literal('auth'),
  secret: z.string().check(z.minLength(1), z.maxLength(Limits.TOKEN_MAX)),
});

/** The event `id` was handled; for a REQUEST with `decide`, `errorCode` is the decision (0 lets it ring). */
export const businessAckMessageSchema = z.object({
  type: z.literal('ack'),
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  errorCode: z.optional(uint32Schema),
  /** The business callback failed: the REQUEST is refused with BUSINESS_UNAVAILABLE (unless fail-open). */
  error: z.optional(z.string().check(z.maxLength(1024))),
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
  businessResultMessageSchema,
  userStateMessageSchema,
  errorMessageSchema,
]);

export type BusinessWelcomeMessage = z.infer<typeof businessWelcomeMessageSchema>;
export type BusinessEventMessage = z.infer<typeof businessEventMessageSchema>;
export type BusinessResultMessage = z.infer<typeof businessResultMessageSchema>;
export type UserState = z.infer<typeof userStateSchema>;
export type UserStateMessage = z.infer<typeof userStateMessageSchema>;
export type BusinessServerMessage = z.infer<typeof businessServerMessageSchema>;

/** Parse and validate a message received by Callgate on the business link. */
export function parseBusinessClientMessage(text: string): ParseResult<BusinessClientMessage> {
  return parseWith(businessClientMessageSchema, text);
}

/** Parse and validate a message received by a business server. */
export function parseBusinessServerMessage(text: string): ParseResult<BusinessServerMessage> {
  return parseWith(businessServerMessageSchema, text);
}
