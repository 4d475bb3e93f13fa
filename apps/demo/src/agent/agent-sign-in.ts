import type { QueueChoice } from '@callgate/client';
import { h, slug } from '../dom.js';

/** Dev mode's agent sign-in: a name and the topics (queues) to serve. */
export function agentSignIn(queues: QueueChoice[], signIn: (userId: string, queues: string[]) => void): HTMLElement {
  const name = h('input', { id: 'agent-name', 'data-testid': 'agent-name', autocomplete: 'name', maxlength: 40, placeholder: 'e.g. Anna', required: true });
  const boxes = queues.map((queue) => {
    const box = h('input', { type: 'checkbox', value: queue.id, checked: true, id: `serve-${queue.id}` });
    return { box, label: h('label', { class: 'option', for: `serve-${queue.id}` }, box, ` ${queue.name}${queue.mode === 'manual' ? ' (you pick the next customer)' : ''}`) };
  });
  const button = h('button', { class: 'primary wide', 'data-testid': 'sign-in', type: 'submit' }, 'Sign in');
  const status = h('p', { class: 'status', role: 'status' });
  const form = h(
    'form',
    { class: 'card', 'aria-label': 'Agent sign-in' },
    h('h1', {}, 'Agent sign-in'),
    h('label', { for: 'agent-name' }, 'Your name'),
    name,
    h('fieldset', { class: 'choice' }, h('legend', {}, 'Topics you answer'), ...boxes.map((b) => b.label)),
    button,
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = boxes.filter((b) => b.box.checked).map((b) => b.box.value);
    if (!name.value.trim()) return void (status.textContent = 'Please type your name.');
    if (chosen.length === 0) return void (status.textContent = 'Choose at least one topic.');
    button.disabled = true;
    status.textContent = 'Signing in…';
    signIn(`agent-${slug(name.value)}`, chosen);
  });
  setTimeout(() => name.focus(), 0);
  return form;
}
