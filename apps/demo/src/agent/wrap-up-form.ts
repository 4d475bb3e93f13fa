import type { CallClient } from '@callgate/client';
import { h } from '../dom.js';
import { dispositions } from './agent-words.js';

/** How long wrap-up lasts when the queue does not say. */
export const WRAP_UP_SECONDS = 30;

/** After a call: a disposition, notes, a countdown and "Ready for the next customer". */
export function wrapUpForm(client: CallClient, customer: string, since: number, seconds = WRAP_UP_SECONDS): { element: HTMLElement; dispose(): void } {
  const disposition = h('select', { id: 'disposition', 'data-testid': 'disposition' }, ...dispositions.map((d) => h('option', { value: d.code }, d.label)));
  const notes = h('textarea', { id: 'notes', 'data-testid': 'notes', rows: 3, maxlength: 2000, placeholder: 'What was it about, what did you promise?' });
  const countdown = h('span', { class: 'countdown', 'data-testid': 'wrap-up-countdown', 'aria-label': 'Seconds of wrap-up left' });
  const ready = h('button', { class: 'primary wide', type: 'submit', 'data-testid': 'ready' }, 'Ready for the next customer');
  const status = h('p', { class: 'status', role: 'status' });
  const form = h(
    'form',
    { class: 'card wrap-up', 'aria-label': 'Wrap-up', 'data-testid': 'wrap-up' },
    h('div', { class: 'offer-head' }, h('h2', {}, `Wrap-up: ${customer}`), countdown),
    h('label', { for: 'disposition' }, 'Outcome'),
    disposition,
    h('label', { for: 'notes' }, 'Notes'),
    notes,
    ready,
    status,
  );
  const tick = (): void => {
    const left = Math.max(0, seconds - Math.floor((Date.now() - since) / 1000));
    countdown.textContent = left > 0 ? `${left} s` : 'ending…';
  };
  tick();
  const timer = setInterval(tick, 1000);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    ready.disabled = true;
    client
      .endWrapUp({ disposition: disposition.value, ...(notes.value.trim() ? { notes: notes.value.trim() } : {}) })
      .catch((error: Error) => {
        ready.disabled = false;
        status.textContent = `Could not end the wrap-up: ${error.message}`;
      });
  });
  return { element: form, dispose: () => clearInterval(timer) };
}
