import { h } from './dom.js';

/** `/`: what this is and the three pages, each opening in its own tab. */
export function landing(): HTMLElement {
  const link = (hash: string, title: string, text: string, id: string): HTMLElement =>
    h('a', { class: 'choice-card', href: `#${hash}`, target: '_blank', rel: 'noopener', 'data-testid': id }, h('strong', {}, title), h('span', {}, text));
  return h(
    'section',
    { class: 'landing' },
    h('h1', {}, 'Callgate customer service'),
    h('p', { class: 'muted' }, 'Open each page in its own tab (or on its own device): a few agents, a few customers, a supervisor.'),
    h(
      'nav',
      { class: 'choices', 'aria-label': 'Pages' },
      link('customer', 'Customer', 'Talk to us by video or voice: choose a topic, wait your turn, rate the call.', 'go-customer'),
      link('agent', 'Agent', 'Sign in, go available, answer customers, transfer, wrap up.', 'go-agent'),
      link('supervisor', 'Supervisor', 'The wallboard: queues, agents, service level, live.', 'go-supervisor'),
    ),
  );
}
