/** WebSocket close codes the server uses, beside the standard ones (1000, 1001, 1008, 1009, 1011). */
export const CloseCode = {
  /** Closed by the client on purpose: its session ends at once, without a grace period. */
  NORMAL: 1000,
  /** The server is shutting down or draining; reconnect (to another node). */
  GOING_AWAY: 1001,
  /** Abuse: rate limit or a policy violation. */
  POLICY: 1008,
  /** The server lost this session (its state store restarted empty): reconnect for a new one. */
  SERVICE_RESTART: 1012,
  /** The state store is unreachable right now: try again shortly. */
  TRY_AGAIN_LATER: 1013,
  /** The access token was refused. */
  UNAUTHORIZED: 4001,
  /** Another login of the same user (or a resume of this session elsewhere) took over. */
  REPLACED: 4002,
  /** No valid `auth` message in time. */
  AUTH_TIMEOUT: 4003,
  /** The access token expired. */
  TOKEN_EXPIRED: 4004,
} as const;
