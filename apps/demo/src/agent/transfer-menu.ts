import { CallgateError, ErrorCode, type Call, type CallClient, type QueueChoice } from '@callgate/client';
import { displayName, h } from '../dom.js';

/**
 * "Transfer": hands the customer to another topic (queue) or to an agent who is free now (from
 * presence). A refused transfer says why and the call goes on.
 */
export function transferMenu(client: CallClient, call: Call, queues: QueueChoice[], customer: string): { button: HTMLElement; panel: HTMLElement } {
  const button = h('button', { class: 'control', type: 'button', 'data-testid': 'transfer', 'aria-expanded': 'false' }, 'Transfer');
  const target = h('select', { id: 'transfer-target', 'data-testid': 'transfer-target' });
  const go = h('button', { class: 'primary', type: 'button', 'data-testid': 'transfer-go' }, 'Transfer now');
  const cancel = h('button', { class: 'secondary', type: 'button' }, 'Cancel');
  const status = h('p', { class: 'status', role: 'status', 'data-testid': 'transfer-status' });
  const panel = h(
    'section',
    { class: 'card transfer-panel', hidden: true, 'aria-label': 'Transfer the customer' },
    h('label', { for: 'transfer-target' }, `Transfer ${customer} to`),
    target,
    h('div', { class: 'actions' }, go, cancel),
    status,
  );
  const fill = (): void => {
    const agents = [...client.presence.values()].filter((p) => p.status === 'idle' && p.userId !== client.userId);
    target.replaceChildren(
      h('optgroup', { label: 'Topics' }, ...queues.filter((q) => q.id !== call.queue).map((q) => h('option', { value: `queue:${q.id}` }, q.name))),
      h('optgroup', { label: 'Agents free now' }, ...agents.map((a) => h('option', { value: `agent:${a.userId}` }, displayName(a.userId)))),
    );
  };
  client.watchPresence({ role: 'agent' });
  button.addEventListener('click', () => {
    fill();
    panel.hidden = !panel.hidden;
    button.setAttribute('aria-expanded', String(!panel.hidden));
    status.textContent = '';
  });
  cancel.addEventListener('click', () => {
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
  });
  go.addEventListener('click', () => {
    const [kind, id] = target.value.split(':') as ['queue' | 'agent', string];
    if (!id) return;
    go.disabled = true;
    status.textContent = 'Transferring…';
    call
      .transfer(kind === 'queue' ? { queue: id } : { agent: id })
      .catch((error: unknown) => {
        const code = error instanceof CallgateError ? error.code : 0;
        status.textContent =
          code === ErrorCode.TRANSFER_REFUSED
            ? `${kind === 'agent' ? displayName(id) : 'That topic'} cannot take ${customer} right now; the call goes on.`
            : `The transfer did not work: ${(error as Error).message}. The call goes on.`;
      })
      .finally(() => (go.disabled = false));
  });
  return { button, panel };
}
