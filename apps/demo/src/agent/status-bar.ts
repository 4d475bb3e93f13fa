import type { AgentState, CallClient, QueueChoice } from '@callgate/client';
import { h } from '../dom.js';
import { clock } from '../format.js';
import { awayReasons, statusWords } from './agent-words.js';

/**
 * The agent's status: a control (Available, or Away with a reason), the status the server says
 * with the time in it, and the topics served (with how many wait in each, as `queueName` says).
 */
export function statusBar(client: CallClient, queueName: (id: string) => string): { element: HTMLElement; refresh(): void; dispose(): void } {
  // While the server moves the agent (ringing, in a call, wrapping up) the control says so, not "Available".
  const busy = h('option', { value: 'busy', disabled: true, hidden: true }, '');
  const select = h(
    'select',
    { id: 'agent-status', 'data-testid': 'status-select', 'aria-label': 'My status' },
    busy,
    h('option', { value: 'available' }, 'Available'),
    ...awayReasons.map((reason) => h('option', { value: `away:${reason}` }, `Away: ${reason}`)),
  );
  const now = h('strong', { class: 'status-now', 'data-testid': 'agent-status', role: 'status' }, '…');
  const since = h('span', { class: 'muted', 'data-testid': 'status-time', 'aria-label': 'Time in status' });
  const served = h('p', { class: 'muted served', 'data-testid': 'queues-served' });
  const error = h('p', { class: 'status error', role: 'alert' });
  const element = h(
    'section',
    { class: 'card status-card', 'aria-label': 'Status' },
    h('div', { class: 'status-line' }, h('span', { class: 'dot' }), now, since, h('label', { for: 'agent-status', class: 'sr-only' }, 'My status'), select),
    served,
    error,
  );
  let state: AgentState | null = client.agentStatus;
  const render = (): void => {
    if (!state) return;
    const reason = state.status === 'away' && state.reason ? ` (${state.reason === 'no-answer' ? 'an offer was not answered' : state.reason})` : '';
    now.textContent = `${statusWords[state.status] ?? state.status}${reason}`;
    element.dataset.status = state.status;
    since.textContent = clock(Date.now() - state.since);
    served.textContent = `Topics: ${state.queues.map(queueName).join(', ') || 'none'}`;
    if (state.status === 'available') select.value = 'available';
    else if (state.status === 'away') {
      const match = awayReasons.find((r) => r === state?.reason);
      select.value = `away:${match ?? awayReasons[0]}`;
    } else {
      busy.textContent = statusWords[state.status] ?? state.status;
      select.value = 'busy';
    }
  };
  client.on('agent-status', (s) => {
    state = s;
    render();
  });
  select.addEventListener('change', () => {
    const [status, reason] = select.value.split(':');
    error.textContent = '';
    const asked = status === 'available' ? client.setAgentStatus('available') : client.setAgentStatus('away', { reason: reason ?? 'Break' });
    asked.catch((e: Error) => (error.textContent = `Could not change your status: ${e.message}`));
  });
  const timer = setInterval(() => state && (since.textContent = clock(Date.now() - state.since)), 1000);
  render();
  return { element, refresh: render, dispose: () => clearInterval(timer) };
}

/** The manual topics an agent serves, for "Next customer". */
export function manualQueues(queues: QueueChoice[], served: string[]): QueueChoice[] {
  return queues.filter((q) => q.mode === 'manual' && served.includes(q.id));
}
