import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../plan.js';
import { summarizeCpuProfile, type CpuProfileSummary } from '../report/cpu-profile.js';
import type { Target } from '../targets.js';
import { SteppedLoad, type ThroughputStep } from './throughput.js';

export interface ProfileResult {
  rate: number;
  step: ThroughputStep;
  summary: CpuProfileSummary;
  /** Where the raw .cpuprofile was written (not committed; open it in Chrome DevTools). */
  file: string;
}

/** Runs one open-loop step against a node started with --cpu-prof and summarizes the profile. */
export async function runProfile(target: Target, plan: Plan, rate: number, dir: string, log: (line: string) => void): Promise<ProfileResult> {
  if (!plan.profile) throw new Error('this plan has no profile run');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const load = await SteppedLoad.start(target, plan, log, { cpuProfileDir: dir });
  let step: ThroughputStep;
  try {
    step = await load.step(rate, plan.profile.durationMs);
  } finally {
    await load.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile was written to ${dir}`);
  const path = join(dir, file);
  // Only the samples taken while the calls ran: not start-up, not connecting the pairs.
  const summary = summarizeCpuProfile(JSON.parse(readFileSync(path, 'utf8')), step.windowMicros);
  return { rate, step, summary, file: path };
}
