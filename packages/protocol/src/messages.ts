import * as z from 'zod/mini';
import { Limits, USER_ID_PATTERN } from './limits.js';
import { eventSchema, uint32Schema, userIdSchema, userStrSchema } from './fields.js';
import { contactCentreClientMessages, contactCentreServerMessages } from './queues.js';
import { presenceMessageSchema, presenceWatchMessageSchema } from './presence.js';
import { signalDeliveryMessageSchema, signalMessageSchema } from './signal.js';

export { eventSchema, uint32Schema, userIdSchema, userStrSchema };

// ---- client → server ----

export const authMessageSchema = z.object({
  type: z.literal('auth'),
  token: z.string().check(z.minLength(1), z.maxLength(Limits.TOKEN_MAX)),
  /**
   * Which of the user's devices this is (a browser tab, an app install): 1–64 characters of the
   * user id charset. A login with a deviceId the user has already is that device coming back.
   * Without one, the device is "default": a second login without a deviceId replaces the first.
   */
  deviceId: z.optional(z.string().check(z.regex(USER_ID_PATTERN, 'device ids are 1-64 characters of A-Z a-z 0-9 _ . @ -'))),
  /** Present when the client resumes the session named in an earlier `welcome`. */
  resume: z.optional(
    z.object({
      sessionId: z.string().check(z.minLength(1), z.maxLength(128)),
      /** The `seq` of the last event the client received in that session (0 for none). */
      lastSeq: z.number().check(z.int(), z.minimum(0)),
      /**
       * A page that reloaded and lost what it knew: instead of the events after `lastSeq`, the
       * server sends the state of the session — its live call's events, its entry, its agent status.
       */
      reload: z.optional(z.boolean()),
    }),
  ),
});

/** The device is going away (its page is being closed or hidden): it is not rung or offered customers meanwhile. */
export const leavingMessageSchema = z.object({ type: z.literal('leaving') });

/** Moves the user's started call to this device: the old device gets FINISH MOVED, this one START with the same roomId. */
export const moveHereMessageSchema = z.object({ type: z.literal('call.move'), id: z.optional(z.string().check(z.minLength(1), z.maxLength(Limits.CONTROL_ID_MAX))) });

export const controlMessageSchema = z.object({
  type: z.literal('control'),
  /** Client-chosen id, echoed in the `ack` or `error` that answers this control. */
  id: z.optional(z.string().check(z.minLength(1), z.maxLength(Limits.CONTROL_ID_MAX))),
  event: eventSchema,
  /** The other party. */
  userId: userIdSchema,
  errorCode: z._default(uint32Schema, 0),
  flags: z._default(uint32Schema, 0),
  param: z._default(uint32Schema, 0),
  userStr: z._default(userStrSchema, ''),
});

export const pingMessageSchema = z.object({ type: z.literal('ping') });

/** A fresh access token for the same user, so the session outlives the first token. */
export const refreshMessageSchema = z.object({
  type: z.literal('refresh'),
  token: z.string().check(z.minLength(1), z.maxLength(Limits.TOKEN_MAX)),
});

export const clientMessageSchema = z.discriminatedUnion('type', [
  authMessageSchema,
  controlMessageSchema,
  pingMessageSchema,
  signalMessageSchema,
  presenceWatchMessageSchema,
  refreshMessageSchema,
  leavingMessageSchema,
  moveHereMessageSchema,
  ...contactCentreClientMessages,
]);

export type AuthMessage = z.infer<typeof authMessageSchema>;
export type ControlMessage = z.infer<typeof controlMessageSchema>;
export type ControlMessageInput = z.input<typeof controlMessageSchema>;
export type PingMessage = z.infer<typeof pingMessageSchema>;
export type RefreshMessage = z.infer<typeof refreshMessageSchema>;
export type LeavingMessage = z.infer<typeof leavingMessageSchema>;
export type MoveHereMessage = z.infer<typeof moveHereMessageSchema>;
export type ClientMessage = z.infer<typeof clientMessageSchema>;

// ---- server → client ----

export const iceServerSchema = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.optional(z.string()),
  credential: z.optional(z.string()),
});

export const welcomeMessageSchema = z.object({
  type: z.literal('welcome'),
  userId: z.string(),
  /** Names this session; send it back in `auth.resume` to resume after a dropped connection. */
  sessionId: z.string(),
  /** This device's id (the one sent in `auth`, or "default"). */
  deviceId: z._default(z.string(), 'default'),
  /** True when an earlier session was resumed: its call is kept and missed events follow. */
  resumed: z.boolean(),
  /** How long the server keeps a dropped session (and its call) for a resume. */
  graceMs: z.number().check(z.int(), z.minimum(0)),
  heartbeat: z.object({
    /** The server pings this often; a client may also send `ping` at this interval. */
    intervalMs: z.number().check(z.int(), z.positive()),
    /** A peer silent for this long is considered gone. */
    timeoutMs: z.number().check(z.int(), z.positive()),
  }),
  iceServers: z._default(z.array(iceServerSchema), []),
  /** When the access token expires (ms since epoch); refresh before, or the socket is closed with 4004. */
  tokenExpiresAt: z.number().check(z.int()),
});

export const eventMessageSchema = z.object({
  type: z.literal('event'),
  /** Position of this event in the session, from 1, without gaps. */
  seq: z.number().check(z.int(), z.positive()),
  callId: z.string(),
  event: eventSchema,
  /** The other party. */
  userId: z.string(),
  errorCode: z.number().check(z.int()),
  flags: uint32Schema,
  param: uint32Schema,
  userStr: z.string(),
  /** For a queue offer at the agent: the queue the customer waited in. */
  queue: z.optional(z.string()),
});

/**
 * The caller is told that its callee has no device connected and is being woken (a push was sent,
 * or its devices are coming back): REPLY 0 follows when it rings, REPLY OFFLINE at `until` if not.
 */
export const wakingMessageSchema = z.object({
  type: z.literal('waking'),
  seq: z.number().check(z.int(), z.positive()),
  callId: z.string(),
  /** The callee. */
  userId: z.string(),
  /** Whether a push hook was asked to wake the callee's app. */
  pushed: z.boolean(),
  /** When the wait ends (ms since the epoch). */
  until: z.number().check(z.int()),
});

/**
 * To a user's other devices: what its call is, so that every device shows the truth. `phase` is
 * `ended` once it is over; `device` is the device taking part (empty while several ring).
 */
export const elsewhereMessageSchema = z.object({
  type: z.literal('elsewhere'),
  seq: z.number().check(z.int(), z.positive()),
  callId: z.string(),
  /** The other party. */
  userId: z.string(),
  direction: z.enum(['outgoing', 'incoming']),
  phase: z.enum(['dialing', 'ringing', 'talking', 'ended']),
  device: z.string(),
});

export const ackMessageSchema = z.object({
  type: z.literal('ack'),
  id: z.string(),
  /** For `queue.enter`: the customer's new entry. */
  entryId: z.optional(z.string()),
  /** For `agent.next`: the call with the customer it took. */
  callId: z.optional(z.string()),
  /** For `agent.next`: nobody waits. */
  empty: z.optional(z.boolean()),
});

export const errorMessageSchema = z.object({
  type: z.literal('error'),
  code: z.number().check(z.int()),
  name: z.string(),
  message: z.string(),
  /** The `id` of the control this error answers, when it had one. */
  ref: z.optional(z.string()),
});

export const pongMessageSchema = z.object({ type: z.literal('pong') });

export const refreshedMessageSchema = z.object({
  type: z.literal('refreshed'),
  /** The new token's expiry (ms since epoch). */
  tokenExpiresAt: z.number().check(z.int()),
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
  wakingMessageSchema,
  elsewhereMessageSchema,
  ...contactCentreServerMessages,
]);

export type IceServer = z.infer<typeof iceServerSchema>;
export type WelcomeMessage = z.infer<typeof welcomeMessageSchema>;
export type EventMessage = z.infer<typeof eventMessageSchema>;
export type AckMessage = z.infer<typeof ackMessageSchema>;
export type ErrorMessage = z.infer<typeof errorMessageSchema>;
export type PongMessage = z.infer<typeof pongMessageSchema>;
export type RefreshedMessage = z.infer<typeof refreshedMessageSchema>;
export type WakingMessage = z.infer<typeof wakingMessageSchema>;
export type ElsewhereMessage = z.infer<typeof elsewhereMessageSchema>;
export type ServerMessage = z.infer<typeof serverMessageSchema>;
/** The messages of a session that are numbered (`seq`) and replayed on resume: call events, entry states, agent statuses. */
export type SequencedMessage = Extract<ServerMessage, { seq: number }>;
