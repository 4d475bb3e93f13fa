/**
 * The stored values of user, call and entry keys as this node last read or wrote them, so that a
 * decision about users this node just decided about needs no read round trip. It may be stale
 * (another node changed a key): the decision script compares every value a decision read with
 * Redis and refuses the commit, and the keys of a refused commit are forgotten before the retry.
 */
export class RecordCache {
  private readonly values = new Map<string, string | null>();

  constructor(private readonly capacity: number) {}

  get(key: string): string | null | undefined {
    return this.values.get(key);
  }

  /** Keeps `value` for `key`; past capacity the key kept longest is dropped. */
  set(key: string, value: string | null): void {
    this.values.set(key, value);
    if (this.values.size > this.capacity) this.values.delete(this.values.keys().next().value!);
  }

  forget(keys: Iterable<string>): void {
    for (const key of keys) this.values.delete(key);
  }
}
