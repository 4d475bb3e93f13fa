import * as z from 'zod/mini';
import { USER_ID_PATTERN } from './limits.js';

/** How many users one `presence.watch` may name. */
export const PRESENCE_WATCH_MAX_USERS = 100;

/** A role, as carried in an access token's `role` claim (e.g. "agent"). */
export const ROLE_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** offline: not connected (and past any grace period). idle: online and in no call. busy: calling, ringing or talking. */
export const presenceStatusSchema = z.enum(['offline', 'idle', 'busy']);

/**
 * Client → server: watch the users who have `role`, and/or the users named in `users`. The
 * server answers with a snapshot and then sends every change. A new watch replaces the previous
 * one; a watch that names nothing stops watching.
 */
export const presenceWatchMessageSchema = z.object({
  type: z.literal('presence.watch'),
  role: z.optional(z.string().check(z.regex(ROLE_PATTERN, 'roles are 1-32 characters of A-Z a-z 0-9 _ -'))),
  users: z.optional(
    z
      .array(z.string().check(z.regex(USER_ID_PATTERN, 'user ids are 1-64 characters of A-Z a-z 0-9 _ . @ -')))
      .check(z.maxLength(PRESENCE_WATCH_MAX_USERS)),
  ),
});

export const presenceEntrySchema = z.object({
  userId: z.string(),
  status: presenceStatusSchema,
  /** The role from the user's access token, when it has one. */
  role: z.optional(z.string()),
});

/**
 * Server → client. With `snapshot: true`, the complete list for the current watch (users of the
 * role who are online, and every named user); otherwise the users whose status changed.
 */
export const presenceMessageSchema = z.object({
  type: z.literal('presence'),
  snapshot: z.boolean(),
  users: z.array(presenceEntrySchema),
});

export type PresenceStatus = z.infer<typeof presenceStatusSchema>;
export type PresenceWatchMessage = z.infer<typeof presenceWatchMessageSchema>;
export type PresenceEntry = z.infer<typeof presenceEntrySchema>;
export type PresenceMessage = z.infer<typeof presenceMessageSchema>;
