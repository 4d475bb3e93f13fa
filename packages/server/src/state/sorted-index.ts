/**
 * Ids kept in order of a score (ties by id), with the score of each: a queue's line, an agent
 * list by idle time. Insert and delete find their place by binary search; moving the items after
 * it is a memmove, cheap for the thousands of entries a queue holds.
 */
export class SortedIndex {
  private readonly items: { score: number; id: string }[] = [];
  private readonly scores = new Map<string, number>();

  get size(): number {
    return this.items.length;
  }

  set(id: string, score: number): void {
    if (this.scores.get(id) === score) return;
    this.delete(id);
    const item = { score, id };
    this.items.splice(this.place(item), 0, item);
    this.scores.set(id, score);
  }

  delete(id: string): void {
    const score = this.scores.get(id);
    if (score === undefined) return;
    this.items.splice(this.place({ score, id }), 1);
    this.scores.delete(id);
  }

  /** `count` ids from position `from` (0 = first). */
  range(from: number, count: number): string[] {
    return this.items.slice(from, from + count).map((item) => item.id);
  }

  /** Every id with its score, in order. */
  entries(): readonly { score: number; id: string }[] {
    return this.items;
  }

  /** The index of `item`, or where it would go. */
  private place(item: { score: number; id: string }): number {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const other = this.items[mid]!;
      if (other.score < item.score || (other.score === item.score && other.id < item.id)) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
