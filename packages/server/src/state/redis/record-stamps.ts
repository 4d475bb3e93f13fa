import { randomBytes } from 'node:crypto';

/** How many characters a stored record starts with: the stamp of the write that stored it. */
export const STAMP_LENGTH = 12;

/**
 * Stamps for the user, call and entry records a node writes to Redis: each stored value is its
 * write's stamp followed by the record's JSON, and a decision checks that what it read is still
 * there by the stamp alone (docs/architecture.md, "Cluster decisions"). A stamp is unique to one
 * write: this node's random part, then a counter.
 */
export class RecordStamps {
  private readonly node = randomBytes(6).toString('base64url').slice(0, 6);
  private count = 0;

  stamped(json: string): string {
    this.count = (this.count + 1) % 36 ** 6;
    return `${this.node}${this.count.toString(36).padStart(6, '0')}${json}`;
  }
}

/** The stamp of a stored record. */
export const stampOf = (stored: string): string => stored.slice(0, STAMP_LENGTH);

/** The record a stored value holds (undefined: absent or unreadable). */
export function parseRecord<T>(stored: string | null | undefined): T | undefined {
  if (!stored) return undefined;
  try {
    return JSON.parse(stored.slice(STAMP_LENGTH)) as T;
  } catch {
    return undefined;
  }
}
