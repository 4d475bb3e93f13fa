import type { RedisProbe } from './redis-probe.js';

/** What a redis-server has done since its statistics were last reset (or since it started). */
export interface RedisCounters {
  /** Calls per command (`INFO commandstats`; a subcommand is `config|resetstat`), scripts' own commands included. */
  commands: Record<string, number>;
  /** `total_reads_processed`: socket reads of client requests, one per batch of commands that arrived together. */
  reads: number;
  /** used_cpu_user + used_cpu_sys of the redis-server process, µs. */
  cpuMicros: number;
}

/** Commands the bench itself sends to Redis while it measures; never counted as the nodes'. */
const probeCommands = new Set(['info', 'config|resetstat', 'monitor']);

export async function readCounters(probe: RedisProbe): Promise<RedisCounters> {
  const fields = await probe.info('commandstats', 'stats', 'cpu');
  const commands: Record<string, number> = {};
  for (const [field, value] of fields) {
    if (!field.startsWith('cmdstat_')) continue;
    const name = field.slice('cmdstat_'.length);
    const calls = Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
    if (!probeCommands.has(name) && calls > 0) commands[name] = calls;
  }
  const seconds = (name: string): number => Number(fields.get(name) ?? 0);
  return {
    commands,
    reads: Number(fields.get('total_reads_processed') ?? 0),
    cpuMicros: Math.round((seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6),
  };
}

/** `to` − `from`, command by command. */
export function countersBetween(from: RedisCounters, to: RedisCounters): RedisCounters {
  const commands: Record<string, number> = {};
  for (const [name, calls] of Object.entries(to.commands)) {
    const delta = calls - (from.commands[name] ?? 0);
    if (delta > 0) commands[name] = delta;
  }
  return { commands, reads: to.reads - from.reads, cpuMicros: to.cpuMicros - from.cpuMicros };
}

export const totalCommands = (counters: RedisCounters): number => Object.values(counters.commands).reduce((sum, n) => sum + n, 0);
