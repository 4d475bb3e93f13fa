import type { PresenceEntry, PresenceMessage } from '@callgate/protocol';
import type { SignalConnection } from './connection.js';

/** What to watch: the users who have a role (e.g. "agent"), and/or named users. */
export interface PresenceFilter {
  role?: string;
  users?: string[];
}

/**
 * The client's presence watch: remembers the filter (sent again after every reconnect, as the
 * server forgets it with the socket) and the list the server keeps up to date.
 */
export class PresenceWatch {
  private filter: PresenceFilter | null = null;
  private readonly entries = new Map<string, PresenceEntry>();

  constructor(
    private readonly connection: SignalConnection,
    changed: (users: ReadonlyMap<string, PresenceEntry>) => void,
  ) {
    connection.on('welcome', () => this.resend());
    connection.on('presence', (message) => {
      this.apply(message);
      changed(this.entries);
    });
  }

  /** The watched users the server reported, by user id; users of the watched role drop out when offline. */
  get users(): ReadonlyMap<string, PresenceEntry> {
    return this.entries;
  }

  watch(filter: PresenceFilter | null): void {
    this.filter = filter;
    this.entries.clear();
    this.resend();
  }

  private resend(): void {
    if (this.filter) this.connection.send({ type: 'presence.watch', ...this.filter });
  }

  private apply(message: PresenceMessage): void {
    if (message.snapshot) this.entries.clear();
    const named = new Set(this.filter?.users ?? []);
    for (const entry of message.users) {
      const ofRole = this.filter?.role !== undefined && entry.role === this.filter.role;
      if (entry.status === 'offline' && !named.has(entry.userId)) this.entries.delete(entry.userId);
      else if (ofRole || named.has(entry.userId)) this.entries.set(entry.userId, entry);
      else this.entries.delete(entry.userId);
    }
  }
}
