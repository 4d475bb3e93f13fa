/** The `since` of GET /api/queues/:id/stats: pure. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/http/api-access.js';
import { sinceOf } from '../src/http/queue-routes.js';

describe('sinceOf', () => {
  const now = Date.parse('2026-11-25T15:30:00.000Z');

  it('defaults to the start of today, UTC', () => {
    expect(sinceOf(undefined, now)).toBe(Date.parse('2026-11-25T00:00:00.000Z'));
  });

  it('takes milliseconds since the epoch, or an ISO 8601 date or time', () => {
    expect(sinceOf('1700000000000', now)).toBe(1_700_000_000_000);
    expect(sinceOf('2026-11-25', now)).toBe(Date.parse('2026-11-25T00:00:00Z'));
    expect(sinceOf('2026-11-25T08:00:00+01:00', now)).toBe(Date.parse('2026-11-25T07:00:00Z'));
  });

  it('refuses anything else with BAD_QUERY', () => {
    for (const text of ['yesterday', '2026-13-45', '-5', '1e3', 'Nov 25 2026']) {
      expect(() => sinceOf(text, now), text).toThrow(ApiError);
    }
  });
});
