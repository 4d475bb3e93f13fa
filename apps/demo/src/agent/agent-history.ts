import { readCard } from '../customer-card.js';
import { h, show } from '../dom.js';
import { dayOf, length, timeOfDay } from '../format.js';
import { missedOutcomes, outcomeWords } from './agent-words.js';

/** A call record as the history API gives it (the fields shown). */
interface CallRecordView {
  callId: string;
  caller: string;
  callee: string;
  userStr: string;
  outcome: string | null;
  requestedAt: string;
  durationMs: number | null;
  queue: string | null;
  entryId: string | null;
  disposition: string | null;
  rating: { score: number; comment: string } | null;
}

interface EntryView {
  entryId: string;
  waitedMs: number | null;
}

const PAGE = 10;

async function getJson<T>(path: string, token: string): Promise<T> {
  const response = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()) as T;
}

/**
 * The agent's calls from the history API (its own token): the offers it missed apart, then every
 * call, newest first, by day, with the customer, topic, outcome in words, wait and length; paged.
 */
export function agentHistory(me: string, token: () => Promise<string>, queueName: (id: string) => string): { element: HTMLElement; refresh(): Promise<void> } {
  const missed = h('ul', { class: 'history', 'data-testid': 'missed-calls', 'aria-label': 'Missed offers' });
  const calls = h('ul', { class: 'history', 'data-testid': 'recent-calls', 'aria-label': 'Calls' });
  const more = h('button', { class: 'secondary', type: 'button', hidden: true, 'data-testid': 'older' }, 'Older calls');
  const note = h('p', { class: 'muted', role: 'status' });
  const waits = new Map<string, number | null>();
  let next: string | null = null;
  let lastDay = '';

  const row = (record: CallRecordView): HTMLElement[] => {
    const peer = record.caller === me ? record.callee : record.caller;
    const card = readCard(record.userStr, peer);
    const items: HTMLElement[] = [];
    const day = dayOf(record.requestedAt);
    if (day !== lastDay) {
      lastDay = day;
      items.push(h('li', { class: 'day' }, day));
    }
    const outcome = record.outcome ? (outcomeWords[record.outcome] ?? record.outcome) : 'In progress';
    const wait = record.entryId ? waits.get(record.entryId) : undefined;
    const facts = [
      timeOfDay(record.requestedAt),
      record.queue ? queueName(record.queue) : 'Direct call',
      outcome,
      ...(wait !== undefined && wait !== null && record.outcome === 'completed' ? [`waited ${length(wait)}`] : []),
      ...(record.durationMs ? [`talked ${length(record.durationMs)}`] : []),
      ...(record.rating ? [`${'★'.repeat(record.rating.score)}`] : []),
    ];
    items.push(
      h(
        'li',
        { 'data-testid': 'history-row', 'data-outcome': record.outcome ?? 'live' },
        h('strong', {}, card.name),
        h('span', { class: 'muted' }, ` ${facts.join(' · ')}`),
        card.question ? h('div', { class: 'muted question' }, card.question) : null,
      ),
    );
    return items;
  };

  const load = async (reset: boolean): Promise<void> => {
    try {
      const bearer = await token();
      const cursor = reset ? '' : `&before=${encodeURIComponent(next ?? '')}`;
      const [page, entries, notAnswered] = await Promise.all([
        getJson<{ calls: CallRecordView[]; next: string | null }>(`api/calls?limit=${PAGE}${cursor}`, bearer),
        getJson<{ entries: EntryView[] }>(`api/queue-entries?agent=${encodeURIComponent(me)}&limit=50`, bearer).catch(() => ({ entries: [] })),
        reset ? getJson<{ calls: CallRecordView[] }>(`api/calls?missed=true&outcome=${missedOutcomes.join(',')}&limit=5`, bearer) : Promise.resolve(null),
      ]);
      for (const entry of entries.entries) waits.set(entry.entryId, entry.waitedMs);
      if (reset) {
        lastDay = '';
        show(calls);
      }
      if (notAnswered) {
        lastDay = '';
        const rows = notAnswered.calls.flatMap(row);
        show(missed, ...(rows.length ? rows : [h('li', { class: 'muted' }, 'No missed offers.')]));
        lastDay = '';
      }
      const rows = page.calls.flatMap(row);
      if (reset && rows.length === 0) show(calls, h('li', { class: 'muted' }, 'No calls yet today.'));
      else calls.append(...rows);
      next = page.next;
      more.hidden = next === null;
      note.textContent = '';
    } catch (error) {
      note.textContent = `Your call history is not available: ${(error as Error).message}`;
    }
  };
  more.addEventListener('click', () => void load(false));
  const element = h(
    'section',
    { class: 'card history-card', 'aria-label': 'History' },
    h('h2', {}, 'Missed offers'),
    missed,
    h('h2', {}, 'Your calls'),
    calls,
    more,
    note,
  );
  return { element, refresh: () => load(true) };
}
