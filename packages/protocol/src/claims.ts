/**
 * Claims of a user access token that Callgate reads, beside `sub` (the user id) and `exp`.
 * Both are optional; a token without them may call anyone.
 */
export interface CallgateClaims {
  /** The user's role, e.g. "agent" or "customer"; other users' grants may name it. */
  role?: string;
  /**
   * Whom this user may call: user ids, "prefix*" patterns, "role:<role>" or "*".
   * A REQUEST to anyone else is refused with FORBIDDEN (200012).
   */
  canCall?: string[];
  /** An agent's queues (ids of the queues it serves). */
  queues?: string[];
  /** An agent's skills; a queue's required skills must all be among them. */
  skills?: string[];
  /** A customer's priority in queues, 0–100 (higher is served first). Never the client's own word. */
  priority?: number;
}

/** Whether a grant lets its holder call `callee`. No grant means no restriction. */
export function grantAllows(canCall: readonly string[] | undefined, callee: { userId: string; role?: string | undefined }): boolean {
  if (canCall === undefined) return true;
  return canCall.some((pattern) => {
    if (pattern === '*') return true;
    if (pattern.startsWith('role:')) return callee.role !== undefined && pattern.slice(5) === callee.role;
    if (pattern.endsWith('*')) return callee.userId.startsWith(pattern.slice(0, -1));
    return pattern === callee.userId;
  });
}
