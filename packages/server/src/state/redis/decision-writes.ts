/**
 * The arguments of one run of the decision script (scripts.ts, decideScript): the reads it must
 * find unchanged and the writes it makes, each key named once in KEYS.
 */
export class DecisionWrites {
  private readonly keys: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly checks: string[] = [];
  private readonly ranges: string[] = [];
  private readonly writes: string[] = [];
  /** Keys deleted and string keys set: one DEL, then one MSET, before the other writes. */
  private readonly deletions = new Set<string>();
  private readonly assignments = new Map<string, string>();

  /** A record key read with the stamp `stamp` (null: absent) must still be so. */
  check(key: string, stamp: string | null): void {
    if (stamp === null) this.checks.push(String(this.keyIndex(key)), '0', '');
    else this.checks.push(String(this.keyIndex(key)), '1', stamp);
  }

  /** A sorted set read as `ids` up to rank `stop` (or its length, `stop` -1) must still read so. */
  checkRange(key: string, stop: number, read: string): void {
    this.ranges.push(String(this.keyIndex(key)), String(stop), read);
  }

  set(key: string, value: string): void {
    this.assignments.set(key, value);
  }

  del(...keys: string[]): void {
    for (const key of keys) {
      this.assignments.delete(key);
      this.deletions.add(key);
    }
  }

  /** String keys as this decision leaves them (null: deleted), for the record cache. */
  *written(): IterableIterator<[string, string | null]> {
    for (const key of this.deletions) if (!this.assignments.has(key)) yield [key, null];
    yield* this.assignments;
  }

  sadd(key: string, member: string): void {
    this.command('sadd', key, member);
  }

  srem(key: string, member: string): void {
    this.command('srem', key, member);
  }

  hset(key: string, ...fieldsAndValues: string[]): void {
    this.command('hset', key, ...fieldsAndValues);
  }

  hdel(key: string, ...fields: string[]): void {
    this.command('hdel', key, ...fields);
  }

  zadd(key: string, ...scoresAndMembers: (string | number)[]): void {
    this.command('zadd', key, ...scoresAndMembers.map(String));
  }

  zrem(key: string, ...members: string[]): void {
    this.command('zrem', key, ...members);
  }

  publish(channel: string, message: string): void {
    this.writes.push('publish', '0', '2', channel, message);
  }

  /**
   * Numbers `bodies` (messages in JSON without their `seq` and opening brace) after the device's
   * last seq and appends them to its outbox; with a channel, publishes them there, after `start`.
   */
  append(outbox: string, seqs: string, deviceId: string, capacity: number, channel: string, start: string, bodies: string[]): void {
    this.writes.push('append', String(this.keyIndex(outbox)), String(5 + bodies.length), String(this.keyIndex(seqs)), deviceId, String(capacity), channel, start, ...bodies);
  }

  /** KEYS and ARGV of the script. */
  arguments(): { keys: string[]; argv: string[] } {
    const first: string[] = [];
    if (this.deletions.size > 0) first.push('delkeys', '0', String(this.deletions.size), ...[...this.deletions].map((key) => String(this.keyIndex(key))));
    if (this.assignments.size > 0) first.push('msetkeys', '0', String(this.assignments.size * 2), ...[...this.assignments].flatMap(([key, value]) => [String(this.keyIndex(key)), value]));
    return { keys: this.keys, argv: [String(this.checks.length / 3), ...this.checks, String(this.ranges.length / 3), ...this.ranges, ...first, ...this.writes] };
  }

  private command(name: string, key: string, ...args: string[]): void {
    this.writes.push(name, String(this.keyIndex(key)), String(args.length), ...args);
  }

  private keyIndex(key: string): number {
    let at = this.index.get(key);
    if (at === undefined) {
      this.keys.push(key);
      at = this.keys.length;
      this.index.set(key, at);
    }
    return at;
  }
}
