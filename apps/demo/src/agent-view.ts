import { CallFlags, type Call, type CallClient } from '@callgate/client';
import { callView } from './call-view.js';
import { h, show } from './dom.js';
import { agentOutcome } from './outcomes.js';
import { callHistory } from './call-history.js';
import { readCard } from './customer-card.js';

/**
 * The agent's page: waiting, the incoming call with the customer's name and question, accept or
 * refuse, the call; below, the agent's missed and recent calls.
 */
export function agentView(root: HTMLElement, client: CallClient, agentName: string, token: () => Promise<string>): void {
  const status = h('p', { class: 'status', 'data-testid': 'status', role: 'status' }, 'You are online and free. Waiting for customers…');
  const incoming = h('div', { 'data-testid': 'incoming-slot' });
  const history = callHistory(client.userId, token);
  const home = h(
    'div',
    {},
    h('section', { class: 'card', 'data-testid': 'agent-home' }, h('h1', {}, `Hello, ${agentName}`), status, incoming),
    history.element,
  );

  const say = (text: string): void => {
    status.textContent = text;
  };

  client.on('connection-state', (state) => {
    if (state === 'reconnecting') say('Connection lost. Reconnecting…');
    else if (state === 'connected' && !client.currentCall) say('You are online and free. Waiting for customers…');
  });

  client.on('incoming', (call: Call) => {
    const card = readCard(call.userStr, call.peer);
    const voice = (call.flags & CallFlags.VIDEO) === 0;
    let answered = false;
    let hungUpByMe = false;
    let view: ReturnType<typeof callView> | null = null;
    const accept = h('button', { class: 'primary', 'data-testid': 'accept' }, voice ? 'Accept voice call' : 'Accept video call');
    const refuse = h('button', { class: 'secondary', 'data-testid': 'refuse' }, 'Refuse');
    accept.addEventListener('click', () => {
      accept.disabled = refuse.disabled = true;
      answered = true;
      void call.accept().catch(() => {});
    });
    refuse.addEventListener('click', () => {
      accept.disabled = refuse.disabled = true;
      void call.reject().catch(() => {});
    });
    show(
      incoming,
      h(
        'div',
        { class: 'incoming', 'data-testid': 'incoming' },
        h('p', { class: 'ringing' }, voice ? 'Incoming voice call' : 'Incoming video call'),
        h('p', {}, h('span', { class: 'muted' }, 'Customer: '), h('strong', { 'data-testid': 'incoming-name' }, card.name)),
        h('p', {}, h('span', { class: 'muted' }, 'Question: '), h('span', { 'data-testid': 'incoming-question' }, card.question || '(none)')),
        h('div', { class: 'actions' }, accept, refuse),
      ),
    );
    say(`${card.name} is calling…`);
    call.on('started', () => {
      answered = true;
      view = callView(call, card.name, () => {
        hungUpByMe = true;
        void call.hangup().catch(() => {});
      });
      show(root, view.element);
    });
    call.on('ended', (code) => {
      view?.dispose();
      show(incoming);
      say(`${agentOutcome(code, card.name, hungUpByMe, answered)} You are free for the next customer.`);
      show(root, home);
      void history.refresh();
    });
  });

  show(root, home);
  void history.refresh();
}
