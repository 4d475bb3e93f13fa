import type { Logger } from 'pino';
import {
  ROLE_PATTERN,
  type PresenceEntry,
  type PresenceMessage,
  type PresenceStatus,
  type PresenceWatchMessage,
} from '@callgate/protocol';
import type { StateBackend } from '../state/backend.js';

/** Whoever receives presence messages: a user's connection. */
export interface PresenceWatcher {
  send(message: PresenceMessage): void;
}

interface Watch {
  role?: string;
  users: Set<string>;
}

interface Known {
  status: Exclude<PresenceStatus, 'offline'>;
  role?: string;
}

/** The `role` claim of a token, when it is a valid role. */
export function roleOf(claims: Record<string, unknown>): string | undefined {
  const role = claims.role;
  return typeof role === 'string' && ROLE_PATTERN.test(role) ? role : undefined;
}

/**
 * Who is online and who is free, for the users watching. A user's status is read back from the
 * state backend whenever a decision touched it (connect, disconnect, grace expiry, every call
 * transition), one refresh at a time, and pushed to the watchers when it changed. The role comes
 * from the user's token when it connects. Single node: a cluster would publish these changes.
 */
export class PresenceBoard {
  private readonly known = new Map<string, Known>();
  private readonly roles = new Map<string, string>();
  /** Counts each user's logins, so that a refresh that read "offline" before a login keeps the new role. */
  private readonly logins = new Map<string, number>();
  private readonly watches = new Map<PresenceWatcher, Watch>();
  private refreshing: Promise<void> = Promise.resolve();

  constructor(
    private readonly backend: StateBackend,
    private readonly logger: Logger,
  ) {}

  /** A user authenticated, with the role of its token (if any). */
  joined(userId: string, role: string | undefined): void {
    this.logins.set(userId, (this.logins.get(userId) ?? 0) + 1);
    if (role) this.roles.set(userId, role);
    else this.roles.delete(userId);
    this.touched([userId]);
  }

  /** These users' records changed: re-read their status. */
  touched(userIds: Iterable<string>): void {
    for (const userId of userIds) {
      this.refreshing = this.refreshing
        .then(() => this.refresh(userId))
        .catch((error: unknown) => this.logger.warn({ err: error, userId }, 'presence refresh failed'));
    }
  }

  /** Replaces `watcher`'s watch and sends it the snapshot. */
  async watch(watcher: PresenceWatcher, message: PresenceWatchMessage): Promise<void> {
    const watch: Watch = { ...(message.role ? { role: message.role } : {}), users: new Set(message.users ?? []) };
    if (!watch.role && watch.users.size === 0) this.watches.delete(watcher);
    else this.watches.set(watcher, watch);
    // The snapshot waits for refreshes already under way, so that no change slips between them.
    await this.refreshing;
    const users: PresenceEntry[] = [];
    if (watch.role) {
      for (const [userId, known] of this.known) if (known.role === watch.role) users.push(entry(userId, known));
    }
    for (const userId of watch.users) {
      const known = this.known.get(userId);
      if (!(watch.role && known?.role === watch.role)) users.push(known ? entry(userId, known) : { userId, status: 'offline' });
    }
    watcher.send({ type: 'presence', snapshot: true, users });
  }

  unwatch(watcher: PresenceWatcher): void {
    this.watches.delete(watcher);
  }

  private async refresh(userId: string): Promise<void> {
    const logins = this.logins.get(userId);
    const { user } = await this.backend.inspect(userId);
    const before = this.known.get(userId);
    let after: Known | undefined;
    if (user) {
      const role = this.roles.get(userId);
      after = { status: user.callId ? 'busy' : 'idle', ...(role ? { role } : {}) };
      this.known.set(userId, after);
    } else {
      this.known.delete(userId);
      if (this.logins.get(userId) === logins) {
        this.roles.delete(userId);
        this.logins.delete(userId);
      }
    }
    if (before?.status === after?.status && before?.role === after?.role) return;
    const change: PresenceEntry = after ? entry(userId, after) : { userId, status: 'offline', ...(before?.role ? { role: before.role } : {}) };
    for (const [watcher, watch] of this.watches) {
      const byRole = watch.role !== undefined && (watch.role === before?.role || watch.role === after?.role);
      if (byRole || watch.users.has(userId)) watcher.send({ type: 'presence', snapshot: false, users: [change] });
    }
  }
}

function entry(userId: string, known: Known): PresenceEntry {
  return { userId, status: known.status, ...(known.role ? { role: known.role } : {}) };
}
