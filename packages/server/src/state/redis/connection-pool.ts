import type { Redis } from 'ioredis';

/**
 * Redis connections lent out one transaction at a time: WATCH belongs to a connection, so two
 * transactions must never share one.
 */
export class ConnectionPool {
  private readonly idle: Redis[] = [];
  private readonly waiting: ((connection: Redis) => void)[] = [];

  constructor(readonly connections: Redis[]) {
    this.idle.push(...connections);
  }

  async use<T>(work: (connection: Redis) => Promise<T>): Promise<T> {
    const connection = this.idle.pop() ?? (await new Promise<Redis>((resolve) => this.waiting.push(resolve)));
    try {
      return await work(connection);
    } finally {
      const next = this.waiting.shift();
      if (next) next(connection);
      else this.idle.push(connection);
    }
  }
}
