import { ErrorCode } from '@callgate/protocol';
import { sameSecret } from '../auth/secrets.js';
import type { TokenVerifier } from '../auth/tokens.js';

/** Who reads the history: the operator (admin key) or one user (its access token). */
export type Reader = { kind: 'admin' } | { kind: 'user'; userId: string };

/** An HTTP API error, sent as `{ "error": { "code", "message" } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads `Authorization: Bearer <credential>`: the admin key (`--admin-key`) reads every call; a
 * user access token reads only the calls its user was in.
 */
export class ApiAccess {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly adminKey: string | undefined,
  ) {}

  async reader(authorization: string | undefined): Promise<Reader> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const credential = match?.[1];
    if (!credential) {
      throw new ApiError(401, 'UNAUTHORIZED', 'send "Authorization: Bearer <admin key or user access token>"');
    }
    if (this.adminKey && sameSecret(credential, this.adminKey)) return { kind: 'admin' };
    const check = await this.verifier.verify(credential);
    if (check.ok) return { kind: 'user', userId: check.userId };
    const code = check.code === ErrorCode.TOKEN_EXPIRED ? 'TOKEN_EXPIRED' : 'UNAUTHORIZED';
    throw new ApiError(401, code, `${check.reason} (expected the admin key or a user access token)`);
  }
}
