import type { Logger } from 'pino';
import type { PresenceEntry, PresenceMessage, PresenceWatchMessage } from '@callgate/protocol';
import type { StateBackend } from '../state/backend.js';

/** Whoever receives presence messages: a user's connection. */
export interface PresenceWatcher {
  send(message: PresenceMessage): void;
}

interface Watch {
  role?: string;
  users: Set<string>;
}

/**
 * Who is online and who is free, for the users watching on this node. The state backend says
 * whose presence may have changed (after a decision on any node); the board reads their
 * presence back, one batch at a time and in order, and sends each watcher what changed for it.
 */
export class PresenceBoard {
  /** The last presence sent, per user some watcher here may care about. */
  private readonly known = new Map<string, PresenceEntry>();
  private readonly watches = new Map<PresenceWatcher, Watch>();
  private refreshing: Promise<void> = Promise.resolve();

  constructor(
    private readonly backend: StateBackend,
    private readonly logger: Logger,
  ) {}

  /** These users' presence may have changed. */
  changed(userIds: readonly string[]): void {
    if (this.watches.size === 0 || userIds.length === 0) return;
    this.refreshing = this.refreshing
      .then(() => this.refresh(userIds))
      .catch((error: unknown) => this.logger.warn({ err: error }, 'presence refresh failed'));
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
    // The snapshot waits for refreshes under way, so that no change slips between them.
    await this.refreshing;
    const byRole = watch.role ? await this.backend.presenceByRole(watch.role) : [];
    const named = await this.backend.presence([...watch.users].filter((userId) => !byRole.some((e) => e.userId === userId)));
    const users = [...byRole, ...named];
    for (const entry of users) if (entry.status !== 'offline') this.known.set(entry.userId, entry);
    watcher.send({ type: 'presence', snapshot: true, users });
  }

  unwatch(watcher: PresenceWatcher): void {
    this.watches.delete(watcher);
  }

  private async refresh(userIds: readonly string[]): Promise<void> {
    for (const after of await this.backend.presence(userIds)) {
      const before = this.known.get(after.userId);
      if (before?.status === after.status && before?.role === after.role) continue;
      if (!before && after.status === 'offline') continue;
      if (after.status === 'offline') this.known.delete(after.userId);
      else this.known.set(after.userId, after);
      const change: PresenceEntry = after.status === 'offline' && before?.role ? { ...after, role: before.role } : after;
      for (const [watcher, watch] of this.watches) {
        const byRole = watch.role !== undefined && (watch.role === before?.role || watch.role === after.role);
        if (byRole || watch.users.has(after.userId)) watcher.send({ type: 'presence', snapshot: false, users: [change] });
      }
    }
  }
}
