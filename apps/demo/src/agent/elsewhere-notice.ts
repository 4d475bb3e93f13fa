import type { Call, CallClient, CallElsewhere } from '@callgate/client';
import { h } from '../dom.js';

/**
 * The agent's call on another tab or device (named as the offer of it named the customer) (docs/architecture.md, "Devices"): this tab says so,
 * and offers to take a started call here (the other tab's call ends MOVED, the customer sees no
 * hang-up).
 */
export function elsewhereNotice(client: CallClient, nameOf: (other: CallElsewhere) => string, takenHere: (call: Call) => void): HTMLElement {
  const text = h('span', {});
  const take = h('button', { class: 'secondary small-button', type: 'button' }, 'Take the call here');
  const notice = h('p', { class: 'status elsewhere', role: 'status', 'data-testid': 'elsewhere', hidden: true }, text, ' ', take);
  const render = (other: CallElsewhere | null): void => {
    notice.hidden = other === null;
    take.hidden = other?.state !== 'talking';
    if (!other) return;
    const who = nameOf(other);
    text.textContent = other.state === 'talking' ? `You are in a call with ${who} in another tab.` : `${who}'s call is ringing in another tab.`;
  };
  take.addEventListener('click', () => {
    const other = client.callElsewhere;
    if (!other) return;
    take.disabled = true;
    other
      .moveHere()
      .then(takenHere)
      .catch((error: Error) => (text.textContent = `Could not take the call here: ${error.message}`))
      .finally(() => (take.disabled = false));
  });
  client.on('elsewhere', render);
  render(client.callElsewhere);
  return notice;
}
