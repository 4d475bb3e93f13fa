import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { Limits, USER_ID_PATTERN, fitsUserStr } from './limits.js';

// zod/mini (tree-shakeable, so that the browser bundle of the client stays small) has no error
// messages of its own until a locale is configured: the same English messages as zod's full API.
z.config(en());

/** An unsigned 32-bit integer: errorCode, flags, param, roomId. */
export const uint32Schema = z.number().check(z.int(), z.minimum(0), z.maximum(Limits.UINT32_MAX));

/** A user id: 1–64 characters of `[A-Za-z0-9_.@-]`; a non-negative integer becomes its decimal string. */
export const userIdSchema = z.union([
  z.string().check(z.regex(USER_ID_PATTERN, 'user ids are 1-64 characters of A-Z a-z 0-9 _ . @ -')),
  z.pipe(
    z.number().check(z.int(), z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER)),
    z.transform((n: number) => String(n)),
  ),
]);

export const userStrSchema = z.string().check(z.refine(fitsUserStr, `userStr is at most ${Limits.USER_STR_MAX_BYTES} UTF-8 bytes`));

export const eventSchema = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);
