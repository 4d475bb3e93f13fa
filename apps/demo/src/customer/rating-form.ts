import { h } from '../dom.js';

/** After a served call: 1–5 stars and a comment, sent once with `rateCall`. */
export function ratingForm(agentName: string, send: (score: number, comment: string) => Promise<void>, done: () => void): HTMLElement {
  let score = 0;
  const stars = [1, 2, 3, 4, 5].map((n) =>
    h('button', { type: 'button', class: 'star', 'aria-label': `${n} star${n === 1 ? '' : 's'}`, 'aria-pressed': 'false', 'data-testid': `star-${n}` }, '★'),
  );
  const comment = h('textarea', { id: 'comment', 'data-testid': 'comment', rows: 3, maxlength: 2000, placeholder: 'Anything you would like to tell us?' });
  const submit = h('button', { class: 'primary', type: 'submit', disabled: true, 'data-testid': 'send-rating' }, 'Send rating');
  const skip = h('button', { class: 'secondary', type: 'button', 'data-testid': 'skip-rating' }, 'No, thanks');
  const status = h('p', { class: 'status', role: 'status', 'data-testid': 'rating-status' });
  const paint = (): void =>
    stars.forEach((star, i) => {
      star.classList.toggle('on', i < score);
      star.setAttribute('aria-pressed', String(i + 1 === score));
    });
  stars.forEach((star, i) =>
    star.addEventListener('click', () => {
      score = i + 1;
      submit.disabled = false;
      paint();
    }),
  );
  skip.addEventListener('click', done);
  const form = h(
    'form',
    { class: 'card', 'data-testid': 'rating', 'aria-label': 'Rate your call' },
    h('h1', {}, 'Thank you for calling!'),
    h('p', {}, `How was your call with ${agentName}?`),
    h('div', { class: 'stars', role: 'group', 'aria-label': 'Your rating' }, ...stars),
    h('label', { for: 'comment' }, 'Comment (optional)'),
    comment,
    h('div', { class: 'actions' }, submit, skip),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (score === 0) return;
    submit.disabled = true;
    status.textContent = 'Sending…';
    send(score, comment.value.trim())
      .then(() => {
        form.replaceChildren(
          h('h1', {}, 'Thank you!'),
          h('p', { role: 'status', 'data-testid': 'rating-thanks' }, `Your rating (${score} of 5) reached us.`),
          h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'button', onclick: done }, 'Ask something else')),
        );
      })
      .catch((error: Error) => {
        submit.disabled = false;
        status.textContent = `Your rating could not be sent: ${error.message}`;
      });
  });
  return form;
}
