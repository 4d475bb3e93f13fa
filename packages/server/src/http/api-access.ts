import { ErrorCode } from '@callgate/protocol';
import { sameSecret } from '../auth/secrets.js';
import type { TokenVerifier } from '../auth/tokens.js';

/**
 * Who reads the API: the operator (admin key) or one user (its access token, with the token's
 * role: a supervisor reads the contact centre's queues and entries, docs/records.md).
 */
export type Reader = { kind: 'admin' } | { kind: 'user'; userId: string; role?: string };

/** The role claim that makes a user token a supervisor reader. */
export const SUPERVISOR_ROLE = 'supervisor';

/** Whether `reader` may read every queue and entry: the admin key, or a supervisor's token. */
export const readsContactCentre = (reader: Reader): boolean => reader.kind === 'admin' || reader.role === SUPERVISOR_ROLE;

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
 * user access token reads only the calls its user was in (a supervisor's token also reads the
 * queues and every queue entry; its calls are still only its own).
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
    if (check.ok) return { kind: 'user', userId: check.userId, ...(check.grants.role !== undefined ? { role: check.grants.role } : {}) };
    const code = check.code === ErrorCode.TOKEN_EXPIRED ? 'TOKEN_EXPIRED' : 'UNAUTHORIZED';
    throw new ApiError(401, code, `${check.reason} (expected the admin key or a user access token)`);
  }
}

/** The admin key only (changes to the queues), else 401 or 403. */
export async function requireAdmin(access: ApiAccess, authorization: string | undefined): Promise<void> {
  const reader = await access.reader(authorization);
  if (reader.kind !== 'admin') throw new ApiError(403, 'FORBIDDEN', 'only the admin key may change the queues');
}

/** The admin key or a supervisor's token, else 401 or 403. */
export async function requireSupervisor(access: ApiAccess, authorization: string | undefined): Promise<Reader> {
  const reader = await access.reader(authorization);
  if (!readsContactCentre(reader)) throw new ApiError(403, 'FORBIDDEN', 'the queues are read with the admin key or a supervisor\'s token (role "supervisor")');
  return reader;
}
