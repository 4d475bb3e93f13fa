import { describe, expect, it } from 'vitest';
import type { EntryPosition } from '@callgate/protocol';
import { EXACT_POSITIONS, worthTelling } from '../src/queues/position-changes.js';

const at = (position: number, estimatedWaitMs = position * 10_000, agentsAvailable = 0): EntryPosition => ({
  entryId: 'e1',
  position,
  ahead: position - 1,
  waitedMs: 0,
  estimatedWaitMs,
  agentsAvailable,
});

describe('which position changes a waiting customer is told', () => {
  it('the first position, and every change near the head of the line', () => {
    expect(worthTelling(undefined, at(4000))).toBe(true);
    expect(worthTelling(at(EXACT_POSITIONS + 1), at(EXACT_POSITIONS))).toBe(true);
    expect(worthTelling(at(3, 30_000), at(3, 29_000))).toBe(true);
    expect(worthTelling(at(3), at(3))).toBe(false);
  });

  it('far back, only a move of a tenth or more, of the place or of the estimated wait', () => {
    expect(worthTelling(at(1000), at(950, 10_000_000))).toBe(false);
    expect(worthTelling(at(1000), at(900, 10_000_000))).toBe(true);
    expect(worthTelling(at(1000, 600_000), at(1000, 660_000))).toBe(true);
    expect(worthTelling(at(1000, 600_000), at(1000, 590_000))).toBe(false);
  });

  it('free agents are told at the head of the line; further back only through the estimate', () => {
    expect(worthTelling(at(2, 0, 0), at(2, 0, 2))).toBe(true);
    expect(worthTelling(at(500, 1_000_000, 0), at(500, 1_000_000, 2))).toBe(false);
    expect(worthTelling(at(500, 1_000_000, 0), at(500, 800_000, 2))).toBe(true);
  });

  it('a customer walking from 5,000th to 1st is told a few dozen times, not thousands', () => {
    let last: EntryPosition | undefined;
    let told = 0;
    for (let position = 5000; position >= 1; position--) {
      const next = at(position);
      if (worthTelling(last, next)) {
        told++;
        last = next;
      }
    }
    expect(told).toBeGreaterThan(EXACT_POSITIONS);
    expect(told).toBeLessThan(100);
  });
});
