import type { Logger } from 'pino';
import type { EntryPosition, EntryPositionMessage, EntryView } from '@callgate/protocol';
import type { StateBackend } from '../state/backend.js';
import { lineFiguresOf, positionOf } from './queue-figures.js';
import { worthTelling } from './position-changes.js';

/** How often one customer is told its position, at most. */
export const POSITION_INTERVAL_MS = 1000;
/**
 * How often a busy queue's line is read again, at most: every decision about the queue marks it,
 * but reading the whole line more often than this would cost more and tell nobody anything new
 * (each customer hears at most once a second). A customer who just entered is told at once.
 */
export const LINE_READ_INTERVAL_MS = 200;

/** A customer's socket on this node. */
export type PositionSink = (userId: string, message: EntryPositionMessage) => void;

interface Tracked {
  userId: string;
  queue: string;
  enteredAt: number;
  last?: EntryPosition;
  lastAt: number;
  /** A send that waits for the one-per-second limit. */
  pending?: NodeJS.Timeout;
}

/**
 * Tells the waiting customers whose sockets this node holds where they stand. A decision that
 * changes a queue's line or agents marks the queue; a flush reads the line once and each
 * customer's rank off it — linear in the line — and sends what changed enough to tell
 * (position-changes.ts), at most once a second per customer. A queue is flushed a few milliseconds after a new customer here entered it, and
 * otherwise at most every LINE_READ_INTERVAL_MS: the cost per second stays linear in the line,
 * however many decisions a second change it.
 */
export class EntryPositions {
  private readonly byEntry = new Map<string, Tracked>();
  private readonly byQueue = new Map<string, Set<string>>();
  private readonly dirty = new Set<string>();
  /** Queues with a customer here that has not been told its position yet. */
  private readonly urgent = new Set<string>();
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private lastFlush = 0;
  private closed = false;

  constructor(
    private readonly backend: Pick<StateBackend, 'line' | 'queueAgents' | 'entries'>,
    private readonly send: PositionSink,
    private readonly handleMsOf: (queue: string) => number | undefined,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** An entry message went to a customer here: follow its entry while it waits. */
  seen(userId: string, entry: EntryView): void {
    if (entry.state === 'waiting' || entry.state === 'offered') this.track(userId, entry.id, entry.queue, entry.enteredAt);
    else this.untrack(entry.id);
  }

  /** A customer connected here (or resumed) while in a queue. */
  async connected(userId: string, entryId: string): Promise<void> {
    const [entry] = await this.backend.entries([entryId]);
    if (entry && entry.state !== 'connected') this.track(userId, entry.entryId, entry.queue, entry.enteredAt);
  }

  /** The customer's socket is gone from this node. */
  left(userId: string): void {
    for (const [entryId, tracked] of this.byEntry) if (tracked.userId === userId) this.untrack(entryId);
  }

  /** These queues' lines or agents changed (by a decision on any node). */
  changed(queues: readonly string[]): void {
    for (const queue of queues) if (this.byQueue.has(queue)) this.dirty.add(queue);
    this.schedule();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const entryId of [...this.byEntry.keys()]) this.untrack(entryId);
  }

  private track(userId: string, entryId: string, queue: string, enteredAt: number): void {
    const known = this.byEntry.get(entryId);
    if (known?.queue === queue && known.userId === userId) return;
    if (known) this.untrack(entryId);
    this.byEntry.set(entryId, { userId, queue, enteredAt, lastAt: 0 });
    let entries = this.byQueue.get(queue);
    if (!entries) this.byQueue.set(queue, (entries = new Set()));
    entries.add(entryId);
    this.dirty.add(queue);
    this.urgent.add(queue);
    this.schedule();
  }

  private untrack(entryId: string): void {
    const tracked = this.byEntry.get(entryId);
    if (!tracked) return;
    clearTimeout(tracked.pending);
    this.byEntry.delete(entryId);
    const entries = this.byQueue.get(tracked.queue);
    entries?.delete(entryId);
    if (entries?.size === 0) this.byQueue.delete(tracked.queue);
  }

  private schedule(): void {
    if (this.closed || this.dirty.size === 0) return;
    const soonest = this.urgent.size > 0 ? 5 : Math.max(5, this.lastFlush + LINE_READ_INTERVAL_MS - this.now());
    const at = this.now() + soonest;
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, soonest);
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    if (this.flushing) {
      await this.flushing;
      this.schedule();
      return;
    }
    const queues = [...this.dirty];
    this.dirty.clear();
    this.urgent.clear();
    this.lastFlush = this.now();
    this.flushing = Promise.all(queues.map((queue) => this.flushQueue(queue))).then(
      () => {},
      (error: unknown) => this.logger.warn({ err: error }, 'queue positions could not be read'),
    );
    await this.flushing;
    this.flushing = null;
  }

  private async flushQueue(queue: string): Promise<void> {
    if (!this.byQueue.has(queue)) return;
    const [line, agents] = await Promise.all([this.backend.line(queue), this.backend.queueAgents(queue)]);
    const figures = lineFiguresOf(agents, this.handleMsOf(queue));
    const now = this.now();
    line.forEach(({ id }, rank) => {
      const tracked = this.byEntry.get(id);
      if (tracked?.queue === queue) this.offer(id, tracked, positionOf(id, rank, tracked.enteredAt, figures, now));
    });
  }

  /** Sends a position worth telling, now or when the customer's second is up. */
  private offer(entryId: string, tracked: Tracked, position: EntryPosition): void {
    if (!worthTelling(tracked.last, position)) return;
    const wait = tracked.lastAt + POSITION_INTERVAL_MS - this.now();
    if (wait > 0) {
      if (!tracked.pending) {
        tracked.pending = setTimeout(() => {
          delete tracked.pending;
          this.dirty.add(tracked.queue);
          this.schedule();
        }, wait);
        tracked.pending.unref();
      }
      return;
    }
    tracked.last = position;
    tracked.lastAt = this.now();
    if (this.byEntry.get(entryId) === tracked) this.send(tracked.userId, { type: 'entry.position', ...position });
  }
}
