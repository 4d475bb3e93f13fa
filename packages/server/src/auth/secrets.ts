import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Compares two secrets in time that does not depend on where they differ, nor on their lengths. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The shortest secret or key the server takes outside dev mode, in UTF-8 bytes. */
export const MIN_SECRET_BYTES = 16;

/** The name of the first of `secrets` (name → value; undefined: not set) shorter than MIN_SECRET_BYTES, if any. */
export function shortSecret(secrets: Record<string, string | undefined>): string | undefined {
  return Object.entries(secrets).find(([, value]) => value !== undefined && Buffer.byteLength(value, 'utf8') < MIN_SECRET_BYTES)?.[0];
}
