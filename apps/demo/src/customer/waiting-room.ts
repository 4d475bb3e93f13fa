import type { QueueEntry } from '@callgate/client';
import { h } from '../dom.js';
import { clock } from '../format.js';
import { estimate, placeInLine, transferWords } from './customer-words.js';

/**
 * The waiting room: the place in line, the estimated wait, the time waited (ticking), a gentle
 * animation and Leave. The page title carries the place, so a customer in another tab sees it.
 */
export function waitingRoom(entry: QueueEntry, queueName: (id: string) => string, onLeave: () => void): { element: HTMLElement; render(): void; dispose(): void } {
  const topic = h('p', { class: 'muted', 'data-testid': 'waiting-topic' });
  const transfer = h('p', { class: 'transfer', role: 'status', 'data-testid': 'transfer', hidden: true });
  const place = h('p', { class: 'place', role: 'status', 'aria-live': 'polite', 'data-testid': 'position' }, 'Finding your place in line…');
  const wait = h('p', { class: 'estimate', 'data-testid': 'estimate' });
  const waited = h('p', { class: 'muted', 'data-testid': 'waited' });
  const hint = h('p', { class: 'muted hint', 'data-testid': 'hint' });
  const leave = h('button', { class: 'secondary wide', type: 'button', 'data-testid': 'leave' }, 'Leave the line');
  leave.addEventListener('click', () => {
    leave.disabled = true;
    onLeave();
  });
  const element = h(
    'section',
    { class: 'card waiting', 'data-testid': 'waiting-room', 'aria-label': 'Waiting room' },
    h('div', { class: 'pulse', 'aria-hidden': 'true' }, h('span', {}), h('span', {}), h('span', {})),
    h('h1', {}, 'Please hold on'),
    topic,
    transfer,
    place,
    wait,
    waited,
    hint,
    leave,
  );
  const render = (): void => {
    topic.textContent = `Topic: ${queueName(entry.queue)}`;
    const moved = transferWords(entry, queueName);
    transfer.hidden = moved === null;
    transfer.textContent = moved ?? '';
    if (entry.state === 'connected') {
      place.textContent = 'Bringing you back into your call…';
      wait.textContent = '';
    } else if (entry.state === 'offered') {
      place.textContent = 'An agent is picking up…';
      wait.textContent = '';
      document.title = 'Connecting… · Callgate';
    } else if (entry.position !== undefined) {
      place.textContent = placeInLine(entry.position);
      wait.textContent = estimate(entry);
      document.title = `(${entry.position}) ${placeInLine(entry.position)} · Callgate`;
    }
    waited.textContent = `You have waited ${clock(entry.waitedMs)}`;
    hint.textContent = entry.agentsAvailable === 0 && entry.state === 'waiting' ? 'All our agents are busy with other customers. Thank you for your patience.' : '';
  };
  const timer = setInterval(() => (waited.textContent = `You have waited ${clock(entry.waitedMs)}`), 1000);
  render();
  return { element, render, dispose: () => clearInterval(timer) };
}
