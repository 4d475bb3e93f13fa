import { TokenBucket } from '../gateway/token-bucket.js';

/** Wrong business secrets each client address may send: five at once, then one every ten seconds. */
export const SECRET_GUESSES = { burst: 5, perSecond: 0.1 } as const;

/**
 * Slows down guessing the business secret: an address that has used up its wrong guesses is
 * refused (RATE_LIMITED) without its secret being checked, until its budget refills.
 */
export class SecretGuesses {
  private readonly byAddress = new Map<string, TokenBucket>();

  /** Whether `address` may have a secret checked now. */
  mayTry(address: string): boolean {
    return this.byAddress.get(address)?.hasToken() ?? true;
  }

  /** Counts a wrong secret from `address`. */
  wrong(address: string): void {
    let budget = this.byAddress.get(address);
    if (!budget) {
      budget = new TokenBucket(SECRET_GUESSES.perSecond, SECRET_GUESSES.burst);
      this.byAddress.set(address, budget);
    }
    budget.take();
  }

  /** Forgets the addresses whose budget is full again, so that the map stays small. */
  forgetFull(): void {
    for (const [address, budget] of this.byAddress) {
      if (budget.isFull()) this.byAddress.delete(address);
    }
  }
}
