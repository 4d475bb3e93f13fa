import type { AgentFigures, CallClient, QueueBoard, QueueFigures } from '@callgate/client';
import { statusWords } from '../agent/agent-words.js';
import { displayName, h, show } from '../dom.js';
import { clock, length } from '../format.js';
import { agentDays, entriesSince, queueStats, startOfToday, waitingOverHour, type AgentDay, type QueueStats } from './centre-figures.js';
import { waitingChart } from './waiting-chart.js';

/** How often the day's figures are read again over REST (the live ones come with the board). */
const REFRESH_MS = 5000;

/**
 * The supervisor's wallboard: per queue waiting now, longest wait, served and abandoned today,
 * average wait and service level against its target; per agent status and time in it, calls
 * handled and average handle time; a chart of waiting customers over the last hour. Live: the board
 * (watchQueues) pushes changes; the day's figures are re-read every few seconds.
 */
export async function wallboard(root: HTMLElement, client: CallClient, token: () => Promise<string>): Promise<void> {
  const board: QueueBoard = client.watchQueues();
  await board.ready;
  document.title = 'Wallboard · Callgate';
  const queueRows = h('tbody', {});
  const agentRows = h('tbody', {});
  const chart = h('div', { class: 'chart-box', 'data-testid': 'waiting-chart' });
  const updated = h('p', { class: 'muted updated', role: 'status' });
  const totals = h('div', { class: 'tiles', 'data-testid': 'totals' });
  show(
    root,
    h(
      'div',
      { class: 'wallboard' },
      totals,
      h('section', { class: 'card span' }, h('h2', {}, 'Topics'), h('div', { class: 'table-scroll' }, h('table', { class: 'board', 'aria-label': 'Queues' },
        h('thead', {}, h('tr', {}, ...['Topic', 'Waiting now', 'Longest wait', 'Served today', 'Abandoned today', 'Average wait', 'Service level'].map((t) => h('th', { scope: 'col' }, t)))),
        queueRows))),
      h('section', { class: 'card' }, h('h2', {}, 'Waiting customers, last hour'), chart),
      h('section', { class: 'card' }, h('h2', {}, 'Agents'), h('div', { class: 'table-scroll' }, h('table', { class: 'board', 'aria-label': 'Agents' },
        h('thead', {}, h('tr', {}, ...['Agent', 'Status', 'Time in status', 'Calls handled', 'Average handle time'].map((t) => h('th', { scope: 'col' }, t)))),
        agentRows))),
      updated,
    ),
  );

  let stats = new Map<string, QueueStats>();
  let days = new Map<string, AgentDay>();
  let hour: number[] = new Array<number>(60).fill(0);

  const serviceLevel = (queue: QueueFigures): HTMLElement => {
    const level = stats.get(queue.id)?.records.serviceLevel ?? null;
    if (level === null) return h('td', { class: 'muted' }, `— (target ${queue.serviceLevel} s)`);
    const percent = Math.round(level * 100);
    const grade = percent >= 80 ? 'ok' : percent >= 60 ? 'warn' : 'bad';
    return h('td', { class: `level ${grade}` }, `${percent}%`, h('span', { class: 'muted small' }, ` in ${queue.serviceLevel} s`));
  };
  const queueRow = (queue: QueueFigures): HTMLElement => {
    const records = stats.get(queue.id)?.records;
    return h(
      'tr',
      { 'data-queue': queue.id },
      h('th', { scope: 'row' }, queue.name, queue.mode === 'manual' ? h('span', { class: 'muted small' }, ' manual') : null),
      h('td', { class: `big ${queue.waiting > 0 ? 'waiting' : ''}`, 'data-testid': `waiting-${queue.id}` }, String(queue.waiting)),
      h('td', {}, queue.waiting ? clock(queue.longestWaitMs) : '—'),
      h('td', { 'data-testid': `served-${queue.id}` }, records ? String(records.served) : '…'),
      h('td', { 'data-testid': `abandoned-${queue.id}` }, records ? String(records.abandoned + records.timeout) : '…'),
      h('td', {}, records?.averageWaitMs != null ? length(records.averageWaitMs) : '—'),
      serviceLevel(queue),
    );
  };
  const agentRow = (agent: AgentFigures): HTMLElement => {
    const day = days.get(agent.userId);
    const status = agent.connected ? agent.status : 'offline';
    const reason = status === 'away' && agent.reason ? `: ${agent.reason === 'no-answer' ? 'missed an offer' : agent.reason}` : '';
    return h(
      'tr',
      { 'data-agent': agent.userId },
      h('th', { scope: 'row' }, displayName(agent.userId)),
      h('td', { class: `agent-status ${status}`, 'data-testid': `status-${agent.userId}` }, `${statusWords[status] ?? status}${reason}`),
      h('td', { class: 'tabular' }, clock(Date.now() - agent.since)),
      h('td', { 'data-testid': `handled-${agent.userId}` }, String(day?.handled ?? 0)),
      h('td', {}, day?.averageHandleMs != null ? length(day.averageHandleMs) : '—'),
    );
  };
  const render = (): void => {
    const queues = [...board.queues.values()].sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
    const agents = [...board.agents.values()].sort((a, b) => a.userId.localeCompare(b.userId));
    show(queueRows, ...queues.map(queueRow));
    show(agentRows, ...(agents.length ? agents.map(agentRow) : [h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No agent is signed in.'))]));
    const waiting = queues.reduce((sum, q) => sum + q.waiting, 0);
    const longest = Math.max(0, ...queues.map((q) => q.longestWaitMs));
    const served = [...stats.values()].reduce((sum, s) => sum + s.records.served, 0);
    const available = agents.filter((a) => a.connected && a.status === 'available').length;
    const tile = (label: string, value: string, id: string): HTMLElement => h('div', { class: 'tile-figure' }, h('span', { class: 'figure', 'data-testid': id }, value), h('span', { class: 'label' }, label));
    show(totals, tile('waiting now', String(waiting), 'total-waiting'), tile('longest wait', waiting ? clock(longest) : '—', 'total-longest'), tile('served today', String(served), 'total-served'), tile('agents available', String(available), 'total-available'));
    const points = [...hour.slice(0, 59), waiting];
    show(chart, waitingChart(points));
  };
  const refresh = async (): Promise<void> => {
    try {
      const bearer = await token();
      const since = startOfToday();
      const [s, entries] = await Promise.all([queueStats([...board.queues.keys()], bearer, since), entriesSince(bearer, Math.min(since, Date.now() - 3_600_000))]);
      stats = s;
      days = agentDays(entries.filter((e) => Date.parse(e.enteredAt) >= since));
      hour = waitingOverHour(entries);
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      updated.textContent = `The day's figures could not be read: ${(error as Error).message}`;
    }
    render();
  };
  board.on('update', render);
  setInterval(render, 1000);
  setInterval(() => void refresh(), REFRESH_MS);
  render();
  await refresh();
}
