/**
 * The day's figures the wallboard reads over REST with the supervisor's token: each queue's
 * statistics (`/api/queues/:id/stats`) and the entries of today (`/api/queue-entries`), from which
 * come each agent's calls handled and average handle time, and waiting customers over the last hour.
 */

export interface QueueStats {
  id: string;
  serviceLevelTarget: number;
  records: {
    served: number;
    abandoned: number;
    timeout: number;
    ended: number;
    averageWaitMs: number | null;
    averageHandleMs: number | null;
    serviceLevel: number | null;
  };
}

export interface EntryRecord {
  entryId: string;
  queue: string;
  outcome: string | null;
  agent: string | null;
  enteredAt: string;
  answeredAt: string | null;
  endedAt: string | null;
}

export interface AgentDay {
  handled: number;
  averageHandleMs: number | null;
}

async function getJson<T>(path: string, token: string): Promise<T> {
  const response = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

export function startOfToday(now = Date.now()): number {
  const d = new Date(now);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

export async function queueStats(queueIds: string[], token: string, since: number): Promise<Map<string, QueueStats>> {
  const all = await Promise.all(queueIds.map((id) => getJson<QueueStats>(`api/queues/${encodeURIComponent(id)}/stats?since=${since}`, token).catch(() => null)));
  return new Map(all.filter((s): s is QueueStats => s !== null).map((s) => [s.id, s]));
}

/** Entries entered since `since`, newest first (at most `pages` pages of 200). */
export async function entriesSince(token: string, since: number, pages = 5): Promise<EntryRecord[]> {
  const entries: EntryRecord[] = [];
  let before: string | null = null;
  for (let page = 0; page < pages; page++) {
    const cursor: string = before ? `&before=${encodeURIComponent(before)}` : '';
    const answer: { entries: EntryRecord[]; next: string | null } = await getJson(`api/queue-entries?limit=200${cursor}`, token);
    for (const entry of answer.entries) if (Date.parse(entry.enteredAt) >= since) entries.push(entry);
    const oldest = answer.entries[answer.entries.length - 1];
    if (!answer.next || !oldest || Date.parse(oldest.enteredAt) < since) break;
    before = answer.next;
  }
  return entries;
}

/** Per agent: served entries it answered, and their mean time from answer to end. */
export function agentDays(entries: EntryRecord[]): Map<string, AgentDay> {
  const sums = new Map<string, { handled: number; ms: number }>();
  for (const entry of entries) {
    if (entry.outcome !== 'served' || !entry.agent || !entry.answeredAt || !entry.endedAt) continue;
    const sum = sums.get(entry.agent) ?? { handled: 0, ms: 0 };
    sum.handled++;
    sum.ms += Date.parse(entry.endedAt) - Date.parse(entry.answeredAt);
    sums.set(entry.agent, sum);
  }
  return new Map([...sums].map(([agent, s]) => [agent, { handled: s.handled, averageHandleMs: s.handled ? s.ms / s.handled : null }]));
}

/** How many customers waited at each minute of the last hour (60 points, oldest first). */
export function waitingOverHour(entries: EntryRecord[], now = Date.now()): number[] {
  const points: number[] = [];
  for (let i = 59; i >= 0; i--) {
    const at = now - i * 60_000;
    let waiting = 0;
    for (const entry of entries) {
      const from = Date.parse(entry.enteredAt);
      const until = entry.answeredAt ? Date.parse(entry.answeredAt) : entry.endedAt ? Date.parse(entry.endedAt) : Infinity;
      if (from <= at && at < until) waiting++;
    }
    points.push(waiting);
  }
  return points;
}
