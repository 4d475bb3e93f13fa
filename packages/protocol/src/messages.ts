import { z } from 'zod';
import { Limits, USER_ID_PATTERN, fitsUserStr } from './limits.js';
import { presenceMessageSchema, presenceWatchMessageSchema } from './presence.js';
import { signalDeliveryMessageSchema, signalMessageSchema } from './signal.js';

/** An unsigned 32-bit integer: errorCode, flags, param, roomId. */
export const uint32Schema = z.number().int().min(0).max(Limits.UINT32_MAX);

/** A user id: 1–64 characters of `[A-Za-z0-9_.@-]`; a non-negative integer becomes its decimal string. */
export const userIdSchema = z.union([
  z.string().regex(USER_ID_PATTERN, 'user ids are 1-64 characters of A-Z a-z 0-9 _ . @ -'),
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).transform((n) => String(n)),
]);

export const userStrSchema = z
  .string()
  .refine(fitsUserStr, `userStr is at most ${Limits.USER_STR_MAX_BYTES} UTF-8 bytes`);

export const eventSchema = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);

// ---- client → server ----

export const authMessageSchema = z.object({
  type: z.literal('auth'),
  token: z.string().min(1).max(Limits.TOKEN_MAX),
  /** Present when the client resumes the session named in an earlier `welcome`. */
  resume: z
    .object({
      sessionId: z.string().min(1).max(128),
      /** The `seq` of the last event the client received in that session (0 for none). */
      lastSeq: z.number().int().min(0),
    })
    .optional(),
});

export const controlMessageSchema = z.object({
  type: z.literal('control'),
  /** Client-chosen id, echoed in the `ack` or `error` that answers this control. */
  id: z.string().min(1).max(Limits.CONTROL_ID_MAX).optional(),
  event: eventSchema,
  /** The other party. */
  userId: userIdSchema,
  errorCode: uint32Schema.default(0),
  flags: uint32Schema.default(0),
  param: uint32Schema.default(0),
  userStr: userStrSchema.default(''),
});

export const pingMessageSchema = z.object({ type: z.literal('ping') });

/** A fresh access token for the same user, so the session outlives the first token. */
export const refreshMessageSchema = z.object({
  type: z.literal('refresh'),
  token: z.string().min(1).max(Limits.TOKEN_MAX),
});

export const clientMessageSchema = z.discriminatedUnion('type', [
  authMessageSchema,
  controlMessageSchema,
  pingMessageSchema,
  signalMessageSchema,
  presenceWatchMessageSchema,
  refreshMessageSchema,
]);

export type AuthMessage = z.infer<typeof authMessageSchema>;
export type ControlMessage = z.infer<typeof controlMessageSchema>;
export type ControlMessageInput = z.input<typeof controlMessageSchema>;
export type PingMessage = z.infer<typeof pingMessageSchema>;
export type RefreshMessage = z.infer<typeof refreshMessageSchema>;
export type ClientMessage = z.infer<typeof clientMessageSchema>;

// ---- server → client ----

export const iceServerSchema = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.string().optional(),
  credential: z.string().optional(),
});

export const welcomeMessageSchema = z.object({
  type: z.literal('welcome'),
  userId: z.string(),
  /** Names this session; send it back in `auth.resume` to resume after a dropped connection. */
  sessionId: z.string(),
  /** True when an earlier session was resumed: its call is kept and missed events follow. */
  resumed: z.boolean(),
  /** How long the server keeps a dropped session (and its call) for a resume. */
  graceMs: z.number().int().min(0),
  heartbeat: z.object({
    /** The server pings this often; a client may also send `ping` at this interval. */
    intervalMs: z.number().int().positive(),
    /** A peer silent for this long is considered gone. */
    timeoutMs: z.number().int().positive(),
  }),
  iceServers: z.array(iceServerSchema).default([]),
  /** When the access token expires (ms since epoch); refresh before, or the socket is closed with 4004. */
  tokenExpiresAt: z.number().int(),
});

export const eventMessageSchema = z.object({
  type: z.literal('event'),
  /** Position of this event in the session, from 1, without gaps. */
  seq: z.number().int().positive(),
  callId: z.string(),
  event: eventSchema,
  /** The other party. */
  userId: z.string(),
  errorCode: z.number().int(),
  flags: uint32Schema,
  param: uint32Schema,
  userStr: z.string(),
});

export const ackMessageSchema = z.object({ type: z.literal('ack'), id: z.string() });

export const errorMessageSchema = z.object({
  type: z.literal('error'),
  code: z.number().int(),
  name: z.string(),
  message: z.string(),
  /** The `id` of the control this error answers, when it had one. */
  ref: z.string().optional(),
});

export const pongMessageSchema = z.object({ type: z.literal('pong') });

export const refreshedMessageSchema = z.object({
  type: z.literal('refreshed'),
  /** The new token's expiry (ms since epoch). */
  tokenExpiresAt: z.number().int(),
});

export const serverMessageSchema = z.discriminatedUnion('type', [
  welcomeMessageSchema,
  eventMessageSchema,
  ackMessageSchema,
  errorMessageSchema,
  pongMessageSchema,
  signalDeliveryMessageSchema,
  presenceMessageSchema,
  refreshedMessageSchema,
]);

export type IceServer = z.infer<typeof iceServerSchema>;
export type WelcomeMessage = z.infer<typeof welcomeMessageSchema>;
export type EventMessage = z.infer<typeof eventMessageSchema>;
export type AckMessage = z.infer<typeof ackMessageSchema>;
export type ErrorMessage = z.infer<typeof errorMessageSchema>;
export type PongMessage = z.infer<typeof pongMessageSchema>;
export type RefreshedMessage = z.infer<typeof refreshedMessageSchema>;
export type ServerMessage = z.infer<typeof serverMessageSchema>;
