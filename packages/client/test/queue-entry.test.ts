/**
 * The QueueEntry object alone: how entry states and positions move it, and how its wait counts
 * on between position messages (test/contact-centre drives it over real servers).
 */
import { describe, expect, it } from 'vitest';
import type { EntryView } from '@callgate/protocol';
import { QueueEntry } from '../src/queue-entry.js';

const waiting: EntryView = { id: 'e1', queue: 'billing', state: 'waiting', enteredAt: 1_000 };

function entryAt(start: number): { entry: QueueEntry; clock: { now: number }; heard: string[] } {
  const clock = { now: start };
  const entry = new QueueEntry(waiting, () => clock.now);
  const heard: string[] = [];
  entry.on('update', (e) => heard.push(`update ${e.state}${e.position !== undefined ? ` #${e.position}` : ''}`));
  entry.on('ended', (outcome) => heard.push(`ended ${outcome}`));
  return { entry, clock, heard };
}

const position = (n: number, waitedMs: number) => ({ entryId: 'e1', position: n, ahead: n - 1, waitedMs, estimatedWaitMs: n * 1000, agentsAvailable: 0 });

describe('QueueEntry', () => {
  it('counts its wait on locally from the last position, and freezes it once an agent answers', () => {
    const { entry, clock } = entryAt(1_500);
    expect(entry.waitedMs).toBe(500);
    clock.now = 2_000;
    expect(entry.waitedMs).toBe(1_000);
    entry.applyPosition(position(2, 900)); // the server's clock is a little behind: its figure wins
    clock.now = 2_300;
    expect(entry.waitedMs).toBe(1_200);
    entry.apply({ ...waiting, state: 'connected', callId: 'c1', agent: 'anna' });
    clock.now = 9_000;
    expect(entry.waitedMs).toBe(1_200);
    expect(entry.position).toBeUndefined();
  });

  it('emits update only when a position field changed, and ended once with the outcome', () => {
    const { entry, heard } = entryAt(1_000);
    entry.applyPosition(position(3, 10));
    entry.applyPosition(position(3, 20));
    entry.applyPosition(position(2, 30));
    entry.apply({ ...waiting, state: 'offered', callId: 'c1', agent: 'anna' });
    entry.apply({ ...waiting, state: 'ended', outcome: 'served', callId: 'c1', agent: 'anna' });
    entry.apply({ ...waiting, state: 'waiting' });
    expect(heard).toEqual(['update waiting #3', 'update waiting #2', 'update offered', 'update ended', 'ended served']);
    expect(entry.outcome).toBe('served');
    expect(entry.callId).toBe('c1');
  });

  it('follows a transfer: the new queue, back to waiting, the wait counting again from the first entry', () => {
    const { entry, clock } = entryAt(1_000);
    entry.apply({ ...waiting, state: 'connected', callId: 'c1', agent: 'anna' });
    clock.now = 5_000;
    const transfer = { by: 'anna', fromQueue: 'billing', toQueue: 'tech' };
    entry.apply({ ...waiting, queue: 'tech', state: 'waiting', transfer });
    expect(entry).toMatchObject({ queue: 'tech', state: 'waiting', transfer, callId: undefined, agent: undefined });
    expect(entry.waitedMs).toBe(4_000);
  });

  it('ignores what is about another entry, and ends locally when its session is gone', () => {
    const { entry, heard } = entryAt(1_000);
    entry.apply({ ...waiting, id: 'other', state: 'ended', outcome: 'timeout' });
    entry.applyPosition({ ...position(1, 0), entryId: 'other' });
    entry.end('abandoned');
    entry.end('closed');
    expect(heard).toEqual(['update ended', 'ended abandoned']);
    expect(entry.snapshot).toEqual({ ...waiting, state: 'ended', outcome: 'abandoned' });
  });
});
