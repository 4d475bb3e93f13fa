/**
 * A token bucket: `ratePerSecond` tokens flow in, up to `burst`; each message takes one.
 * Synchronous and allocation-free, because it runs on every message.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.refilledAt = now();
  }

  /** Takes a token; false when the bucket is empty. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.ratePerSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whether a token is there to take, without taking it. */
  hasToken(): boolean {
    return this.level() >= 1;
  }

  /** Whether the bucket is full again, so that it can be forgotten. */
  isFull(): boolean {
    return this.level() >= this.burst;
  }

  private level(): number {
    return Math.min(this.burst, this.tokens + ((this.now() - this.refilledAt) / 1000) * this.ratePerSecond);
  }
}
