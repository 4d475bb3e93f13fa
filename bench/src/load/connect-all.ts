import { createAccessToken } from '@callgate/server';
import { WireUser } from './wire-user.js';

/** Users with signed access tokens, as a real deployment would hand them out. */
export async function mintUsers(secret: string, userIds: string[]): Promise<WireUser[]> {
  const users: WireUser[] = [];
  for (const userId of userIds) {
    users.push(new WireUser(userId, await createAccessToken({ secret, userId, ttlSeconds: 6 * 3600 })));
  }
  return users;
}

export interface ConnectOutcome {
  connected: number;
  failed: number;
  firstError?: string;
  /** Indexes (in the order given) of the users who could not connect. */
  failedIndexes: number[];
}

/** Connects every user with at most `concurrency` handshakes in flight. */
export async function connectAll(
  users: WireUser[],
  urlOf: (index: number) => string,
  concurrency: number,
  localAddressOf: (index: number) => string | undefined = () => undefined,
): Promise<ConnectOutcome> {
  const outcome: ConnectOutcome = { connected: 0, failed: 0, failedIndexes: [] };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < users.length) {
      const index = next++;
      try {
        await users[index]!.connect(urlOf(index), localAddressOf(index));
        outcome.connected += 1;
      } catch (error) {
        outcome.failed += 1;
        outcome.failedIndexes.push(index);
        outcome.firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, users.length) }, lane));
  return outcome;
}
