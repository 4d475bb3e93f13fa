/** Collects values and lets a test wait for the next one, or check that none came. */
export class EventQueue<T> {
  private readonly items: T[] = [];
  private waiter: { resolve: (item: T) => void } | null = null;

  push(item: T): void {
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = null;
      resolve(item);
    } else {
      this.items.push(item);
    }
  }

  /** Forgets what arrived so far. */
  clear(): void {
    this.items.length = 0;
  }

  get size(): number {
    return this.items.length;
  }

  /** The next value; fails after `timeoutMs` with `what` in the message. */
  next(what: string, timeoutMs = 3000): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiter = {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
      };
    });
  }

  /** Resolves to the values that arrived within `ms` (a test expects none). */
  async drain(ms: number): Promise<T[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.items.splice(0);
  }
}
