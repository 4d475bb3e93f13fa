import type { Logger } from 'pino';
import type { PresenceEntry, PresenceMessage, PresenceWatchMessage } from '@callgate/protocol';
import type { StateBackend } from '../state/backend.js';
import { OneAtATime } from '../one-at-a-time.js';

/** Whoever receives presence messages: a user's connection. */
export interface PresenceWatcher {
  send(message: PresenceMessage): void;
}

/** Where the board reads presence from: the state backend. */
export type PresenceSource = Pick<StateBackend, 'presence' | 'presenceByRole'>;

interface Watch {
  role?: string;
  users: Set<string>;
}

/**
 * Who is online and who is free, for the users watching on this node. The state backend says
 * whose presence may have changed (after a decision on any node); the board reads their
 * presence back and sends each watcher what changed for it.
 *
 * Every read (a refresh or a new watcher's snapshot) runs in one queue, and whatever a read finds
 * newer than `known` is told to every watcher it concerns: so a snapshot never overtakes a later
 * change, and a change a snapshot saw first still reaches the watchers that were already there.
 */
export class PresenceBoard {
  /** The last presence told to the watchers here, per user some watcher may care about. */
  private readonly known = new Map<string, PresenceEntry>();
  private readonly watches = new Map<PresenceWatcher, Watch>();
  private readonly reads = new OneAtATime();

  constructor(
    private readonly backend: PresenceSource,
    private readonly logger: Logger,
  ) {}

  /** These users' presence may have changed. */
  changed(userIds: readonly string[]): void {
    if (this.watches.size === 0 || userIds.length === 0) return;
    void this.enqueue(async () => this.announce(await this.backend.presence(userIds)));
  }

  /** Replaces `watcher`'s watch and sends it the snapshot. */
  async watch(watcher: PresenceWatcher, message: PresenceWatchMessage): Promise<void> {
    const watch: Watch = { ...(message.role ? { role: message.role } : {}), users: new Set(message.users ?? []) };
    if (!watch.role && watch.users.size === 0) {
      this.watches.delete(watcher);
      watcher.send({ type: 'presence', snapshot: true, users: [] });
      return;
    }
    this.watches.set(watcher, watch);
    await this.enqueue(() => this.sendSnapshot(watcher, watch));
  }

  unwatch(watcher: PresenceWatcher): void {
    this.watches.delete(watcher);
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.reads.run(task);
    run.catch((error: unknown) => this.logger.warn({ err: error }, 'presence read failed'));
    return run;
  }

  private async sendSnapshot(watcher: PresenceWatcher, watch: Watch): Promise<void> {
    if (this.watches.get(watcher) !== watch) return;
    const byRole = watch.role ? await this.backend.presenceByRole(watch.role) : [];
    const ofRole = new Set(byRole.map((entry) => entry.userId));
    const named = await this.backend.presence([...watch.users].filter((userId) => !ofRole.has(userId)));
    const users = [...byRole, ...named];
    this.announce(users, watcher);
    if (this.watches.get(watcher) === watch) watcher.send({ type: 'presence', snapshot: true, users });
  }

  /** Records what changed since the last read and tells the watchers concerned, but `except`. */
  private announce(entries: readonly PresenceEntry[], except?: PresenceWatcher): void {
    for (const after of entries) {
      const before = this.known.get(after.userId);
      if (before?.status === after.status && before?.role === after.role) continue;
      if (!before && after.status === 'offline') continue;
      if (after.status === 'offline') this.known.delete(after.userId);
      else this.known.set(after.userId, after);
      const change: PresenceEntry = after.status === 'offline' && before?.role ? { ...after, role: before.role } : after;
      for (const [watcher, watch] of this.watches) {
        if (watcher === except) continue;
        const byRole = watch.role !== undefined && (watch.role === before?.role || watch.role === after.role);
        if (byRole || watch.users.has(after.userId)) watcher.send({ type: 'presence', snapshot: false, users: [change] });
      }
    }
  }
}
