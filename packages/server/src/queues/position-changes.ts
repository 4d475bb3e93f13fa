import type { EntryPosition } from '@callgate/protocol';

/** Positions from 1 to this are told on every change; further back, a change must be worth it. */
export const EXACT_POSITIONS = 10;

/**
 * Whether a waiting customer should be told `next`, having been told `last`. Near the head of the
 * line every change counts. Further back only what a person would notice: the position or the
 * estimated wait moving by a tenth or more (how many agents are free right now matters to the
 * customers they can take, at the head, and reaches the others through the estimate). So a customer far back hears of its place a few dozen times over its whole wait, however
 * long the line, and the messages a queue costs grow with its length, not with its square
 * (docs/contact-centre.md, "Position and estimated wait").
 */
export function worthTelling(last: EntryPosition | undefined, next: EntryPosition): boolean {
  if (last === undefined) return true;
  const changed =
    last.position !== next.position || last.estimatedWaitMs !== next.estimatedWaitMs || last.agentsAvailable !== next.agentsAvailable;
  if (!changed) return false;
  if (next.position <= EXACT_POSITIONS) return true;
  const tenth = (before: number, after: number): boolean => Math.abs(after - before) * 10 >= Math.max(before, 1);
  return tenth(last.position, next.position) || tenth(last.estimatedWaitMs, next.estimatedWaitMs);
}
