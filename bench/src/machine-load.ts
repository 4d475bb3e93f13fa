import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * CPU the whole machine is using, to tell a slow server from a busy machine: this bench shares
 * its 2 cores with whatever else runs here (builds, other test suites).
 */
export interface CpuSample {
  busyMicros: number;
  at: number;
}

const ticksPerSecond = 100; // USER_HZ on Linux

export function sampleCpu(): CpuSample | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const busy = fields.reduce((sum, v, i) => (i === 3 || i === 4 ? sum : sum + v), 0);
    return { busyMicros: (busy * 1e6) / ticksPerSecond, at: performance.now() };
  } catch {
    return null;
  }
}

/** Cores in use between two samples, all processes together. */
export function coresBusy(from: CpuSample | null, to: CpuSample | null): number | null {
  if (!from || !to || to.at <= from.at) return null;
  return (to.busyMicros - from.busyMicros) / ((to.at - from.at) * 1000);
}

/**
 * Waits until the machine is nearly idle (under `threshold` cores busy over a second), at most
 * `maxWaitMs`. Resolves to the last load seen.
 */
export async function waitForQuiet(maxWaitMs: number, threshold = 0.25): Promise<number | null> {
  if (maxWaitMs <= 0) return null;
  const until = performance.now() + maxWaitMs;
  let load: number | null = null;
  do {
    const from = sampleCpu();
    await sleep(1000);
    load = coresBusy(from, sampleCpu());
    if (load === null || load < threshold) return load;
  } while (performance.now() < until);
  return load;
}
