import { webcrypto } from 'node:crypto';
import { errors, jwtVerify, type JWTPayload } from 'jose';
import { ErrorCode, QUEUE_ID_PATTERN, ROLE_PATTERN, TAG_PATTERN, userIdSchema, type CallgateClaims } from '@callgate/protocol';
import { accessTokenKey } from '@callgate/protocol/signing';

// Minting lives beside the webhook signatures, so that @callgate/business can mint without the server.
export { createAccessToken, type AccessTokenOptions } from '@callgate/protocol/signing';

export type TokenCheck =
  | { ok: true; userId: string; expiresAt: number; grants: CallgateClaims; claims: JWTPayload }
  | { ok: false; code: typeof ErrorCode.UNAUTHORIZED | typeof ErrorCode.TOKEN_EXPIRED; reason: string };

export interface TokenExpectations {
  /** When set, a token's `iss` must be exactly this. */
  issuer?: string | undefined;
  /** When set, a token's `aud` must be (or list) this. */
  audience?: string | undefined;
}

/** Checks user access tokens against the server's key (and, when given, issuer and audience). */
export class TokenVerifier {
  /**
   * The HMAC key, imported once: jose imports a raw key on every verify otherwise, which is most
   * of a connect's cost (about 78 µs a token against 22 µs with the key imported, on the bench machine).
   */
  private readonly key: Promise<webcrypto.CryptoKey>;
  private readonly expected: TokenExpectations;

  constructor(secret: string, expected: TokenExpectations = {}) {
    this.key = webcrypto.subtle.importKey('raw', accessTokenKey(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    // A key that cannot be imported refuses every token (in verify), without an unhandled rejection first.
    this.key.catch(() => {});
    this.expected = {
      ...(expected.issuer !== undefined ? { issuer: expected.issuer } : {}),
      ...(expected.audience !== undefined ? { audience: expected.audience } : {}),
    };
  }

  async verify(token: string): Promise<TokenCheck> {
    try {
      const { payload } = await jwtVerify(token, await this.key, { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'], ...this.expected });
      // The same rule as a control's userId: a user id string, or a non-negative safe integer that
      // names the user of its decimal string. Identity is that one string everywhere after this.
      const subject = userIdSchema.safeParse(payload.sub);
      if (!subject.success) {
        return { ok: false, code: ErrorCode.UNAUTHORIZED, reason: 'the token names an invalid user id' };
      }
      const userId = subject.data;
      const grants = grantsOf(payload);
      if (typeof grants === 'string') return { ok: false, code: ErrorCode.UNAUTHORIZED, reason: grants };
      return { ok: true, userId, expiresAt: (payload.exp ?? 0) * 1000, grants, claims: payload };
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        return { ok: false, code: ErrorCode.TOKEN_EXPIRED, reason: 'the access token has expired' };
      }
      const reason = error instanceof errors.JOSEError ? error.message : 'the access token could not be read';
      return { ok: false, code: ErrorCode.UNAUTHORIZED, reason: `invalid access token: ${reason}` };
    }
  }
}

/** The Callgate claims of a verified token, or why they are unusable. */
function grantsOf(payload: JWTPayload): CallgateClaims | string {
  const { role, canCall, queues, skills, priority } = payload;
  const grants: CallgateClaims = {};
  if (role !== undefined) {
    if (typeof role !== 'string' || !ROLE_PATTERN.test(role)) return 'the role claim must be 1-32 characters of A-Z a-z 0-9 _ -';
    grants.role = role;
  }
  if (canCall !== undefined) {
    const valid = Array.isArray(canCall) && canCall.length <= 100 && canCall.every((p) => typeof p === 'string' && p.length > 0 && p.length <= 80);
    if (!valid) return 'the canCall claim must be a list of at most 100 patterns';
    grants.canCall = canCall as string[];
  }
  if (queues !== undefined) {
    if (!Array.isArray(queues) || queues.length > 100 || !queues.every((q) => typeof q === 'string' && QUEUE_ID_PATTERN.test(q))) {
      return 'the queues claim must be a list of at most 100 queue ids';
    }
    grants.queues = queues as string[];
  }
  if (skills !== undefined) {
    if (!Array.isArray(skills) || skills.length > 64 || !skills.every((k) => typeof k === 'string' && TAG_PATTERN.test(k))) {
      return 'the skills claim must be a list of at most 64 skills (1-64 characters of A-Z a-z 0-9 _ . -)';
    }
    grants.skills = skills as string[];
  }
  if (priority !== undefined) {
    if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 100) return 'the priority claim must be a whole number from 0 to 100';
    grants.priority = priority;
  }
  return grants;
}
