import { CallFlags, type Call, type CallClient, type PresenceEntry } from '@callgate/client';
import { callView } from './call-view.js';
import { displayName, h, show } from './dom.js';
import { customerOutcome } from './outcomes.js';
import { cardText } from './customer-card.js';

type AgentStatus = PresenceEntry['status'];

const statusWords: Record<AgentStatus, string> = { idle: 'free', busy: 'busy', offline: 'offline' };


/** The customer's page: name and question, the agents who are online and free, and "Video call". */
export function customerView(root: HTMLElement, client: CallClient): void {
  const agents = new Map<string, AgentStatus>();
  let selected: string | null = null;
  let message = 'Choose a free agent and press "Video call".';

  const name = h('input', { id: 'name', 'data-testid': 'name', autocomplete: 'name', maxlength: 80, placeholder: 'e.g. Maria' });
  const question = h('textarea', { id: 'question', 'data-testid': 'question', rows: 3, maxlength: 900, placeholder: 'e.g. My order #1234 has not arrived' });
  const list = h('ul', { class: 'agents', 'data-testid': 'agent-list' });
  const status = h('p', { class: 'status', 'data-testid': 'status', role: 'status' });
  const videoButton = h('button', { class: 'primary', 'data-testid': 'call-button' }, 'Video call');
  const voiceButton = h('button', { class: 'secondary', 'data-testid': 'voice-call-button' }, 'Voice call');
  const form = h(
    'section',
    { class: 'card', 'data-testid': 'customer-form' },
    h('h1', {}, 'Talk to an agent'),
    h('label', { for: 'name' }, 'Your name'),
    name,
    h('label', { for: 'question' }, 'Your question'),
    question,
    h('h2', {}, 'Agents'),
    list,
    h('div', { class: 'actions' }, videoButton, voiceButton),
    status,
  );

  const renderList = (): void => {
    if (selected === null || !agents.has(selected)) selected = [...agents].find(([, s]) => s === 'idle')?.[0] ?? null;
    const items = [...agents].sort(([a], [b]) => a.localeCompare(b)).map(([agentId, agentStatus]) =>
      h(
        'li',
        {},
        h(
          'label',
          { class: `agent ${agentStatus}`, 'data-testid': `agent-${agentId}`, 'data-status': agentStatus },
          h('input', {
            type: 'radio',
            name: 'agent',
            value: agentId,
            checked: agentId === selected,
            onchange: () => {
              selected = agentId;
              renderButtons();
            },
          }),
          h('span', { class: 'agent-name' }, displayName(agentId)),
          h('span', { class: 'badge' }, statusWords[agentStatus]),
        ),
      ),
    );
    show(list, ...(items.length ? items : [h('li', { class: 'muted', 'data-testid': 'no-agents' }, 'No agent is online right now. Please wait a moment.')]));
    renderButtons();
  };

  const renderButtons = (): void => {
    const ready = selected !== null && client.connectionState === 'connected';
    videoButton.disabled = !ready;
    voiceButton.disabled = !ready;
    status.textContent = message;
  };

  const say = (text: string): void => {
    message = text;
    status.textContent = text;
  };

  client.on('presence', (users) => {
    // Agents who went offline stay listed as offline, so a customer sees what happened.
    for (const agentId of agents.keys()) if (!users.has(agentId)) agents.set(agentId, 'offline');
    for (const [agentId, entry] of users) agents.set(agentId, entry.status);
    renderList();
  });
  client.on('connection-state', renderButtons);
  client.watchPresence({ role: 'agent' });

  const place = (flags: number): void => {
    if (selected === null) return;
    const agent = selected;
    const agentName = displayName(agent);
    const card = cardText({ name: name.value.trim() || 'A customer', question: question.value.trim() });
    const call = client.call(agent, { flags, userStr: card });
    say(`Calling ${agentName}…`);
    videoButton.disabled = voiceButton.disabled = true;
    const cancel = h('button', { class: 'secondary', 'data-testid': 'cancel' }, 'Cancel');
    cancel.addEventListener('click', () => void call.hangup().catch(() => {}));
    form.append(cancel);
    follow(call, agentName, () => cancel.remove());
  };

  const follow = (call: Call, agentName: string, settled: () => void): void => {
    let view: ReturnType<typeof callView> | null = null;
    let hungUpByMe = false;
    call.on('ringing', () => say(`Ringing… ${agentName} will see your name and question.`));
    call.on('started', () => {
      settled();
      view = callView(call, agentName, () => {
        hungUpByMe = true;
        void call.hangup().catch(() => {});
      });
      show(root, view.element);
    });
    call.on('ended', (code) => {
      settled();
      view?.dispose();
      say(customerOutcome(code, agentName, hungUpByMe));
      show(root, form);
      renderButtons();
    });
  };

  videoButton.addEventListener('click', () => place(CallFlags.AUDIO | CallFlags.VIDEO));
  voiceButton.addEventListener('click', () => place(CallFlags.AUDIO));
  show(root, form);
  renderList();
}
