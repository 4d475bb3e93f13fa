import type { EntryRecord } from './types.js';

/** Customer priorities run from 0 to 100. */
export const MAX_PRIORITY = 100;
const TIME_SPAN = 1e13;

/**
 * Where an entry stands in its queue's line: higher customer priority first, then earlier time of
 * entry (kept across transfers); ties go by entry id, which sorts in the order a node made them
 * (queues/entry-ids.ts). One number, so that a sorted set (in memory
 * or a Redis ZSET) keeps the order: (100 − priority) · 10¹³ + enteredAt stays below 2⁵³.
 */
export function lineScore(entry: Pick<EntryRecord, 'priority' | 'enteredAt'>): number {
  return (MAX_PRIORITY - entry.priority) * TIME_SPAN + entry.enteredAt;
}

/** The time of entry a line score holds. */
export const enteredAtOf = (score: number): number => score % TIME_SPAN;

/** Whether `a` is served before `b` when both wait for the same agent: queue priority, then line order. */
export function servedBefore(
  a: { queuePriority: number; score: number; entryId: string },
  b: { queuePriority: number; score: number; entryId: string },
): boolean {
  if (a.queuePriority !== b.queuePriority) return a.queuePriority > b.queuePriority;
  if (a.score !== b.score) return a.score < b.score;
  return a.entryId < b.entryId;
}
