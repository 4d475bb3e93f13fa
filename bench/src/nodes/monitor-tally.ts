import { RedisProbe, type RespValue } from './redis-probe.js';

/** Commands Redis executed while MONITOR watched, split by who issued them. */
export interface MonitorCount {
  /** Sent by a client connection (the nodes): EVALSHA/FCALL counts here once. */
  sent: number;
  /** Issued by Lua scripts or functions (`[0 lua]` in MONITOR's lines). */
  lua: number;
  /** Per command, lower case, with its origin: `sent evalsha`, `lua set`. */
  byCommand: Record<string, number>;
}

/**
 * Counts every command Redis runs, from a MONITOR connection of its own: each line reads
 * `+<time> [<db> <client address or "lua">] "<command>" …`. Lines of the bench's own probes
 * (their client addresses are given) are left out.
 */
export class MonitorTally {
  private readonly count: MonitorCount = { sent: 0, lua: 0, byCommand: {} };

  private constructor(
    private readonly probe: RedisProbe,
    private readonly ignored: Set<string>,
  ) {
    probe.onPush = (value) => this.line(value);
  }

  static async start(url: string, ignoredClients: string[]): Promise<MonitorTally> {
    const probe = await RedisProbe.connect(url);
    const tally = new MonitorTally(probe, new Set([probe.clientAddress, ...ignoredClients]));
    await probe.command('MONITOR');
    return tally;
  }

  /** Stops watching and returns what was counted. */
  stop(): MonitorCount {
    this.probe.close();
    return this.count;
  }

  private line(value: RespValue): void {
    if (typeof value !== 'string') return;
    const match = /^\S+ \[\d+ ([^\]]+)\] "([^"]*)"/.exec(value);
    if (!match) return;
    const [, origin, command] = match;
    if (this.ignored.has(origin!)) return;
    const kind = origin === 'lua' ? 'lua' : 'sent';
    this.count[kind] += 1;
    const key = `${kind} ${command!.toLowerCase()}`;
    this.count.byCommand[key] = (this.count.byCommand[key] ?? 0) + 1;
  }
}
