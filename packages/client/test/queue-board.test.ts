/** The supervisor's QueueBoard alone: snapshots replace the picture, changes update it, gone agents leave. */
import { describe, expect, it } from 'vitest';
import type { AgentFigures, QueueFigures } from '@callgate/protocol';
import { QueueBoard } from '../src/queue-board.js';

const queue = (id: string, waiting: number): QueueFigures => ({
  id,
  name: id,
  mode: 'auto',
  priority: 0,
  serviceLevel: 20,
  waiting,
  longestWaitMs: 0,
  agents: { offline: 0, available: 0, offered: 0, talking: 0, 'wrap-up': 0, away: 0 },
});
const agent = (userId: string, status: AgentFigures['status']): AgentFigures => ({ userId, status, since: 0, queues: ['billing'], connected: true });

describe('QueueBoard', () => {
  it('takes a snapshot, then changes; a later snapshot (after a reconnect) replaces everything', async () => {
    const board = new QueueBoard(null);
    let updates = 0;
    board.on('update', () => updates++);
    board.apply({ snapshot: true, queues: [queue('billing', 2), queue('tech', 0)], agents: [agent('anna', 'available')], gone: [] });
    await board.ready;
    board.apply({ snapshot: false, queues: [queue('billing', 1)], agents: [agent('anna', 'talking'), agent('bob', 'away')], gone: [] });
    expect(board.queues.get('billing')?.waiting).toBe(1);
    expect(board.queues.get('tech')?.waiting).toBe(0);
    expect([...board.agents.values()].map((a) => `${a.userId} ${a.status}`)).toEqual(['anna talking', 'bob away']);
    board.apply({ snapshot: false, queues: [], agents: [], gone: ['bob'] });
    expect([...board.agents.keys()]).toEqual(['anna']);
    board.apply({ snapshot: true, queues: [queue('tech', 3)], agents: [], gone: [] });
    expect([...board.queues.keys()]).toEqual(['tech']);
    expect(board.agents.size).toBe(0);
    expect(updates).toBe(4);
  });

  it('hears nothing once closed', () => {
    const board = new QueueBoard(null);
    board.close();
    board.apply({ snapshot: true, queues: [queue('billing', 2)], agents: [], gone: [] });
    expect(board.queues.size).toBe(0);
    expect(board.isOpen).toBe(false);
  });
});
