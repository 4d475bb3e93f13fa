/**
 * The presence board alone, over a presence source whose reads the test can hold up: the orders
 * of reads and changes that a cluster produces now and then (test/integration/presence.test.ts
 * covers the board on real servers).
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { PresenceEntry, PresenceMessage } from '@callgate/protocol';
import { PresenceBoard, type PresenceSource, type PresenceWatcher } from '../src/presence/presence-board.js';

/** Presence kept in a map; a role read can be held between its two steps, as Redis does them. */
class HeldSource implements PresenceSource {
  readonly online = new Map<string, PresenceEntry>();
  private hold: { reached: () => void; release: Promise<void> } | null = null;

  holdNextRoleRead(): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    this.hold = { reached, release: new Promise<void>((resolve) => (release = resolve)) };
    return { reached: reachedPromise, release };
  }

  async presence(userIds: readonly string[]): Promise<PresenceEntry[]> {
    return userIds.map((userId) => this.online.get(userId) ?? { userId, status: 'offline' });
  }

  async presenceByRole(role: string): Promise<PresenceEntry[]> {
    const members = [...this.online.values()].filter((entry) => entry.role === role).map((entry) => entry.userId);
    const hold = this.hold;
    this.hold = null;
    if (hold) {
      hold.reached();
      await hold.release;
    }
    return (await this.presence(members)).filter((entry) => entry.role === role);
  }
}

/** A watcher that keeps its list the way the SDK does: a snapshot replaces it, a change updates it. */
class ListWatcher implements PresenceWatcher {
  readonly users = new Map<string, string>();
  send(message: PresenceMessage): void {
    if (message.snapshot) this.users.clear();
    for (const entry of message.users) {
      if (entry.status === 'offline') this.users.delete(entry.userId);
      else this.users.set(entry.userId, entry.status);
    }
  }
}

const quiet = pino({ level: 'silent' });
/** One event-loop turn: the board and the source in memory settle on promises alone. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PresenceBoard', () => {
  it('never lets a snapshot overtake a change read after it began', async () => {
    const source = new HeldSource();
    const board = new PresenceBoard(source, quiet);
    const customer = new ListWatcher();
    const held = source.holdNextRoleRead();
    const watched = board.watch(customer, { type: 'presence.watch', role: 'agent' });
    await held.reached;
    source.online.set('zoe', { userId: 'zoe', status: 'idle', role: 'agent' });
    board.changed(['zoe']);
    await settle();
    held.release();
    await watched;
    await settle();
    expect(customer.users).toEqual(new Map([['zoe', 'idle']]));
  });

  it('tells the watchers already there about a change that a newer watcher’s snapshot saw first', async () => {
    const source = new HeldSource();
    const board = new PresenceBoard(source, quiet);
    const early = new ListWatcher();
    await board.watch(early, { type: 'presence.watch', role: 'agent' });
    source.online.set('zoe', { userId: 'zoe', status: 'idle', role: 'agent' });
    const late = new ListWatcher();
    await board.watch(late, { type: 'presence.watch', role: 'agent' });
    board.changed(['zoe']);
    await settle();
    expect(late.users).toEqual(new Map([['zoe', 'idle']]));
    expect(early.users).toEqual(new Map([['zoe', 'idle']]));

    source.online.delete('zoe');
    board.changed(['zoe']);
    await settle();
    expect(early.users.size + late.users.size).toBe(0);
  });

  it('reports a named user going offline, and a role user only to role watchers', async () => {
    const source = new HeldSource();
    const board = new PresenceBoard(source, quiet);
    source.online.set('bob', { userId: 'bob', status: 'idle' });
    const byName = new ListWatcher();
    const byRole = new ListWatcher();
    await board.watch(byName, { type: 'presence.watch', users: ['bob'] });
    await board.watch(byRole, { type: 'presence.watch', role: 'agent' });
    source.online.set('bob', { userId: 'bob', status: 'busy' });
    board.changed(['bob']);
    await settle();
    expect(byName.users).toEqual(new Map([['bob', 'busy']]));
    expect(byRole.users.size).toBe(0);
  });
});
