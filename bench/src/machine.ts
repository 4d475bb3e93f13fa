import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { maxOpenFiles } from './nodes/node-probe.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  /** RLIMIT_NOFILE each process gets (the bench raises the soft limit to the hard one). */
  maxOpenFiles: number | null;
  ephemeralPorts: string | null;
  commit: string | null;
  /** Nice value the bench and its processes ran at. */
  nice: number;
  /** Load average (1 min) when the run started: other work on the machine. */
  loadAverage: number;
}

const attempt = <T>(read: () => T): T | null => {
  try {
    return read();
  } catch {
    return null;
  }
};

export function describeMachine(): Machine {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    maxOpenFiles: maxOpenFiles(),
    ephemeralPorts: attempt(() => readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().replace(/\s+/, '–')),
    nice: os.getPriority(),
    loadAverage: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    commit: attempt(() => execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()),
  };
}
