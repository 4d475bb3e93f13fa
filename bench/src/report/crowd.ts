import type { BenchResults } from '../results.js';
import { kib, ms, table, type Row } from './format.js';

export function crowdSection(results: BenchResults): string {
  const runs = Object.entries(results.crowd ?? {});
  if (!runs.length) return '';
  const parts: string[] = [];
  for (const [id, r] of runs) {
    const rows: Row[] = r.perNode.map((n, i) => [
      i + 1,
      n.users,
      n.connectsPerSecond,
      kib(n.rssPerUser),
      n.rssMiB,
      n.loopDelay ? `${ms(n.loopDelay.maxMs)} / ${ms(n.loopDelay.p99Ms)}` : '—',
    ]);
    const p = r.presence;
    parts.push(
      `### Idle crowd: ${r.connected} users over ${r.nodes} nodes on one Redis (\`${id}\`)`,
      '',
      `${r.connected} of ${r.requested} asked for connected${r.failed ? ` (${r.failed} failed: ${r.firstError ?? ''})` : ''} in ${(r.connectMs / 1000).toFixed(1)} s, ` +
        `from ${r.generators} generator processes, every node connected to at once${r.limitedBy ? `; fewer than asked: limited by ${r.limitedBy}` : ''}. ` +
        `Presence: ${p.online + p.offlineExpected} of ${p.sampled} sampled users right (${p.online} online users of every node and ${p.offlineExpected} who never connected, each asked from another node${r.presenceSkipped ? `; ${r.presenceSkipped} sampled users left out: they had failed to connect` : ''})${p.wrong ? `; **${p.wrong} wrong**: ${p.notes.join('; ')}` : ''}. ` +
        `Meanwhile ${r.calls.count} sequential calls between nodes 1 and 2: setup p50 ${ms(r.calls.setup.p50)} ms, p99 ${ms(r.calls.setup.p99)} ms, max ${ms(r.calls.setup.max)} ms, ${r.calls.faults} faults; event loops watched ${(r.watchedMs / 1000).toFixed(0)} s.`,
      '',
      table(['node', 'users', 'connects/s (its users ÷ time to connect all)', 'RSS per user (KiB)', 'node RSS (MiB)', 'event-loop delay max / p99 (ms)'], rows),
    );
  }
  return parts.join('\n');
}
