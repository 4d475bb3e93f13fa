import { CallFlags, type QueueChoice } from '@callgate/client';
import { h } from '../dom.js';
import type { CustomerCard } from '../customer-card.js';

export interface TopicRequest {
  queue: QueueChoice;
  card: CustomerCard;
  flags: number;
}

/**
 * "Talk to us": the customer's name, a topic (the server's queues), a question, video or voice.
 * No agent is named: the topic's next free agent takes the call.
 */
export function topicForm(queues: QueueChoice[], start: (request: TopicRequest) => void, previous?: Partial<CustomerCard>): { element: HTMLElement; say(text: string): void; enable(): void } {
  const name = h('input', { id: 'name', 'data-testid': 'name', autocomplete: 'name', maxlength: 80, placeholder: 'e.g. Maria', required: true });
  name.value = previous?.name ?? '';
  const topic = h(
    'select',
    { id: 'topic', 'data-testid': 'topic', required: true },
    ...queues.map((queue) => h('option', { value: queue.id }, queue.name)),
  );
  const question = h('textarea', { id: 'question', 'data-testid': 'question', rows: 3, maxlength: 900, placeholder: 'e.g. My order #1234 has not arrived' });
  question.value = previous?.question ?? '';
  const video = h('input', { type: 'radio', name: 'media', value: 'video', id: 'media-video', checked: true });
  const voice = h('input', { type: 'radio', name: 'media', value: 'voice', id: 'media-voice' });
  const status = h('p', { class: 'status', 'data-testid': 'status', role: 'status' });
  const submit = h('button', { class: 'primary wide', type: 'submit', 'data-testid': 'start' }, 'Start');
  const form = h(
    'form',
    { class: 'card', 'data-testid': 'customer-form', 'aria-label': 'Talk to us' },
    h('h1', {}, 'Talk to us'),
    h('p', { class: 'muted' }, 'Tell us what it is about: the next free agent for that topic will answer.'),
    h('label', { for: 'name' }, 'Your name'),
    name,
    h('label', { for: 'topic' }, 'Topic'),
    topic,
    h('label', { for: 'question' }, 'Your question'),
    question,
    h(
      'fieldset',
      { class: 'choice' },
      h('legend', {}, 'How would you like to talk?'),
      h('label', { class: 'option', for: 'media-video' }, video, ' Video call'),
      h('label', { class: 'option', for: 'media-voice' }, voice, ' Voice only'),
    ),
    submit,
    status,
  );
  if (queues.length === 0) {
    submit.disabled = true;
    status.textContent = 'No topics are open right now. Please come back later.';
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const queue = queues.find((q) => q.id === topic.value);
    if (!queue) return;
    if (!name.value.trim()) {
      status.textContent = 'Please tell us your name.';
      name.focus();
      return;
    }
    submit.disabled = true;
    status.textContent = 'Getting you in line…';
    start({
      queue,
      card: { name: name.value.trim(), question: question.value.trim() },
      flags: voice.checked ? CallFlags.AUDIO : CallFlags.AUDIO | CallFlags.VIDEO,
    });
  });
  return {
    element: form,
    say: (text) => (status.textContent = text),
    enable: () => (submit.disabled = queues.length === 0),
  };
}
