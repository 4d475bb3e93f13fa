/**
 * What Callgate and the servers beside it sign for each other: user access tokens (minted by a
 * business server or `callgate token`, checked by Callgate) and webhooks (signed by Callgate,
 * checked by the receiver). Node only: import it as `@callgate/protocol/signing`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignJWT } from 'jose';
import type { CallgateClaims } from './claims.js';
import { USER_ID_PATTERN } from './limits.js';

export interface AccessTokenOptions {
  /** The server's token key (`--secret`). */
  secret: string;
  userId: string;
  /** Lifetime in seconds; default one hour. */
  ttlSeconds?: number;
  /** The user's role: "agent" (serves queues), "supervisor" (watches them), or one of the application's. */
  role?: string;
  /** An agent's queues and skills. */
  queues?: string[];
  skills?: string[];
  /** A customer's priority in queues, 0–100. */
  priority?: number;
  /** Extra claims to sign into the token, e.g. `{ role: 'customer', canCall: ['role:agent'] }`. */
  claims?: CallgateClaims & Record<string, unknown>;
  /** The `iss` claim, for a server started with `--token-issuer`. */
  issuer?: string;
  /** The `aud` claim, for a server started with `--token-audience`. */
  audience?: string;
}

/** The key of user access tokens (HS256) made from the server's `--secret`. */
export const accessTokenKey = (secret: string): Uint8Array => new TextEncoder().encode(secret);

/** Mints a user access token: a JWT signed with HS256 whose `sub` is the user id. */
export async function createAccessToken(options: AccessTokenOptions): Promise<string> {
  if (!USER_ID_PATTERN.test(options.userId)) {
    throw new TypeError(`invalid user id ${JSON.stringify(options.userId)}: 1-64 characters of A-Z a-z 0-9 _ . @ -`);
  }
  if (!options.secret) throw new TypeError('a secret is required to sign tokens');
  const now = Math.floor(Date.now() / 1000);
  const named = {
    ...(options.role !== undefined ? { role: options.role } : {}),
    ...(options.queues !== undefined ? { queues: options.queues } : {}),
    ...(options.skills !== undefined ? { skills: options.skills } : {}),
    ...(options.priority !== undefined ? { priority: options.priority } : {}),
  };
  const jwt = new SignJWT({ ...options.claims, ...named })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.userId)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.ttlSeconds ?? 3600));
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  return jwt.sign(accessTokenKey(options.secret));
}

// ---- webhooks ----

/** The headers of a webhook request (lower case, as Node reports them). */
export const WebhookHeader = {
  /** The event's id: the same on every retry, so a receiver can drop duplicates. */
  EVENT_ID: 'callgate-event-id',
  /** When this attempt was signed, in whole seconds since the epoch. */
  TIMESTAMP: 'callgate-timestamp',
  /** `v1=` and the hex HMAC-SHA256, keyed with the webhook secret, of `<timestamp>.<raw body>`. */
  SIGNATURE: 'callgate-signature',
} as const;

/** How far a webhook's timestamp may be from the receiver's clock by default, in seconds. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

type Body = string | Uint8Array;

function hmac(secret: string, timestamp: string, body: Body): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
}

/** The signature header value for `body` sent at `timestamp` (seconds). */
export function signWebhook(body: Body, secret: string, timestamp: number): string {
  return `v1=${hmac(secret, String(timestamp), body).toString('hex')}`;
}

/** Headers as Node's `IncomingMessage.headers` or a fetch `Headers` object have them. */
export type WebhookHeaders = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof headers.get === 'function') return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

export interface VerifyWebhookOptions {
  /** Largest accepted distance between the timestamp and `now`, in seconds. Default 300. */
  toleranceSeconds?: number;
  /** The receiver's clock, in ms since the epoch. Default `Date.now()`. */
  now?: number;
}

/**
 * Whether a webhook request really comes from Callgate: its signature matches the raw `body` (the
 * bytes received, before any JSON parsing) and its timestamp is recent. Compares in constant time.
 */
export function verifyWebhook(
  body: Body,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyWebhookOptions = {},
): boolean {
  if (!secret) throw new TypeError('verifyWebhook: the webhook secret is required');
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) return false;
  const timestamp = header(headers, WebhookHeader.TIMESTAMP);
  const signatures = header(headers, WebhookHeader.SIGNATURE);
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !signatures) return false;
  const now = options.now ?? Date.now();
  const tolerance = options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  if (Math.abs(now / 1000 - Number(timestamp)) > tolerance) return false;
  const expected = hmac(secret, timestamp, body);
  return signatures.split(',').some((part) => {
    const match = /^\s*v1=([0-9a-f]{64})\s*$/i.exec(part);
    return match?.[1] !== undefined && timingSafeEqual(Buffer.from(match[1], 'hex'), expected);
  });
}
