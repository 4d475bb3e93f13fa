import { h, show } from './dom.js';
import { readCard } from './customer-card.js';

/** A call record as the history API returns it (the fields the page shows). */
interface CallRecordView {
  callId: string;
  caller: string;
  callee: string;
  userStr: string;
  outcome: string | null;
  requestedAt: string;
  durationMs: number | null;
}

const outcomeWords: Record<string, string> = {
  completed: 'talked',
  refused: 'declined',
  cancelled: 'hung up before you answered',
  timeout: 'not answered in time',
  offline: 'you were offline',
  busy: 'you were busy',
  disconnected: 'connection lost',
  'force-ended': 'ended by the service',
  vetoed: 'not allowed',
  'shutting-down': 'service restarting',
};

function duration(ms: number | null): string {
  if (ms === null || ms <= 0) return '';
  const seconds = Math.round(ms / 1000);
  return ` · ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

function row(record: CallRecordView, me: string): HTMLElement {
  const peer = record.caller === me ? record.callee : record.caller;
  const card = readCard(record.userStr, peer);
  const when = new Date(record.requestedAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const outcome = record.outcome ? (outcomeWords[record.outcome] ?? record.outcome) : 'in progress';
  return h(
    'li',
    { 'data-testid': 'history-row', 'data-outcome': record.outcome ?? 'live' },
    h('strong', {}, card.name),
    h('span', { class: 'muted' }, ` ${when} · ${outcome}${duration(record.durationMs)}`),
    card.question ? h('div', { class: 'muted question' }, card.question) : null,
  );
}

async function fetchCalls(query: string, token: string): Promise<CallRecordView[]> {
  const response = await fetch(`api/calls?${query}`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`history: HTTP ${response.status}`);
  return ((await response.json()) as { calls: CallRecordView[] }).calls;
}

/**
 * The agent's recent and missed calls, from the call history API with the agent's own token.
 * `refresh()` reloads both lists (after each call).
 */
export function callHistory(me: string, token: () => Promise<string>): { element: HTMLElement; refresh(): Promise<void> } {
  const recent = h('ul', { class: 'history', 'data-testid': 'recent-calls' });
  const missed = h('ul', { class: 'history', 'data-testid': 'missed-calls' });
  const note = h('p', { class: 'muted', 'data-testid': 'history-note' });
  const element = h(
    'section',
    { class: 'card', 'data-testid': 'call-history' },
    h('h2', {}, 'Missed calls'),
    missed,
    h('h2', {}, 'Recent calls'),
    recent,
    note,
  );
  const list = (target: HTMLElement, records: CallRecordView[], empty: string): void => {
    if (records.length === 0) show(target, h('li', { class: 'muted' }, empty));
    else show(target, ...records.map((record) => row(record, me)));
  };
  return {
    element,
    async refresh() {
      try {
        const bearer = await token();
        const [all, notAnswered] = await Promise.all([fetchCalls('limit=10', bearer), fetchCalls('missed=true&limit=10', bearer)]);
        list(recent, all, 'No calls yet.');
        list(missed, notAnswered, 'No missed calls.');
        note.textContent = '';
      } catch (error) {
        note.textContent = `Call history is not available: ${(error as Error).message}`;
      }
    },
  };
}
