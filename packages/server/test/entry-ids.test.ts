import { describe, expect, it } from 'vitest';
import { orderedEntryIds } from '../src/queues/entry-ids.js';

describe('entry ids', () => {
  it('are UUID-shaped and sort in the order they were made, also within one millisecond', () => {
    let now = 1_796_000_000_000;
    const next = orderedEntryIds(() => now);
    const ids = Array.from({ length: 5000 }, (_, i) => {
      if (i % 1000 === 999) now += 1;
      return next();
    });
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keep their order when the clock steps back', () => {
    let now = 1_796_000_000_000;
    const next = orderedEntryIds(() => now);
    const first = next();
    now -= 5000;
    expect(next() > first).toBe(true);
  });
});
