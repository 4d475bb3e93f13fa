export interface ReconnectPolicy {
  /** First delay, in ms. */
  initialDelayMs: number;
  /** Longest delay, in ms. */
  maxDelayMs: number;
  /** Share of each delay that is random, 0–1, so that several business servers do not reconnect in step. */
  jitter: number;
}

export const defaultReconnectPolicy: ReconnectPolicy = { initialDelayMs: 200, maxDelayMs: 5000, jitter: 0.3 };

/** Delay before reconnect attempt number `attempt` (from 0): exponential, capped, with jitter. */
export function reconnectDelay(policy: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt, 20));
  return Math.round(base * (1 - policy.jitter + policy.jitter * 2 * random()));
}
