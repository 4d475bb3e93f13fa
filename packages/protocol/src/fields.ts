import { z } from 'zod';
import { Limits, USER_ID_PATTERN, fitsUserStr } from './limits.js';

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
