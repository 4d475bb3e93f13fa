/** The parts of a V8 .cpuprofile (as written by node --cpu-prof) that a summary needs. */
interface CpuProfile {
  nodes: { id: number; hitCount?: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  name: string;
  /** Where the function is: package-relative file and line. */
  location: string;
  /** Which package (or node core, GC) the time belongs to. */
  area: string;
  selfMs: number;
  /** Share of the busy (non-idle) time. */
  share: number;
}

export interface CpuProfileSummary {
  wallMs: number;
  busyMs: number;
  top: SelfTime[];
  areas: { area: string; selfMs: number; share: number }[];
}

function areaOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : 'V8 / native';
  if (url.startsWith('node:')) return 'node core';
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (module) return module[1]!;
  const workspace = /\/(packages\/[^/]+|bench)\//.exec(url);
  if (workspace) return workspace[1] === 'bench' ? 'bench' : `@callgate/${workspace[1]!.slice('packages/'.length)}`;
  return 'other';
}

function locationOf(url: string, line: number): string {
  if (!url) return '';
  const short = url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/(packages\/|bench\/)/, '$1');
  return `${short}:${line + 1}`;
}

const round = (n: number): number => Math.round(n * 10) / 10;

/** Time spent in each node of the profile, from its samples, counting only those inside `window`. */
function selfMicrosByNode(profile: CpuProfile, window?: [number, number]): { byNode: Map<number, number>; wallMs: number } {
  const byNode = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const [from, to] = window ?? [profile.startTime, profile.endTime];
  let at = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    at += deltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const span = deltas[i + 1] ?? 0;
    if (at < from || at > to) continue;
    byNode.set(samples[i]!, (byNode.get(samples[i]!) ?? 0) + span);
  }
  return { byNode, wallMs: (Math.min(to, profile.endTime) - Math.max(from, profile.startTime)) / 1000 };
}

/**
 * Self time per function and per package, busiest first; with `window` (µs of the monotonic clock,
 * the profile's own time base), only the samples taken in it.
 */
export function summarizeCpuProfile(profile: CpuProfile, window?: [number, number], topN = 20): CpuProfileSummary {
  const { byNode, wallMs } = selfMicrosByNode(profile, window);
  const byFunction = new Map<string, Omit<SelfTime, 'share'>>();
  const byArea = new Map<string, number>();
  let idleMs = 0;
  for (const node of profile.nodes) {
    const ms = (byNode.get(node.id) ?? 0) / 1000;
    if (ms === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    if (name === '(idle)') {
      idleMs += ms;
      continue;
    }
    const area = areaOf(url, name);
    const location = locationOf(url, lineNumber);
    const key = `${name}@${location}`;
    const entry = byFunction.get(key) ?? { name, location, area, selfMs: 0 };
    entry.selfMs += ms;
    byFunction.set(key, entry);
    byArea.set(area, (byArea.get(area) ?? 0) + ms);
  }
  const busyMs = wallMs - idleMs;
  const share = (ms: number): number => (busyMs > 0 ? Math.round((ms / busyMs) * 1000) / 10 : 0);
  return {
    wallMs: round(wallMs),
    busyMs: round(busyMs),
    top: [...byFunction.values()]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, topN)
      .map((f) => ({ ...f, selfMs: round(f.selfMs), share: share(f.selfMs) })),
    areas: [...byArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, ms]) => ({ area, selfMs: round(ms), share: share(ms) })),
  };
}
