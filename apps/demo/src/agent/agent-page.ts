import { ErrorCode, type AgentState, type Call, type CallClient, type QueueChoice } from '@callgate/client';
import { callStage, type CallStage } from '../call/call-stage.js';
import { readCard, type CustomerCard } from '../customer-card.js';
import { displayName, h, show } from '../dom.js';
import { agentHistory } from './agent-history.js';
import { elsewhereNotice } from './elsewhere-notice.js';
import { offerCard } from './offer-card.js';
import { manualQueues, statusBar } from './status-bar.js';
import { transferMenu } from './transfer-menu.js';
import { wrapUpForm } from './wrap-up-form.js';

const CARD_KEY = 'callgate.agent.card';

/**
 * The customer's card: from the call, or, for a call this tab came back into after a reload (its
 * START carries no question), as the tab kept it.
 */
function cardOf(call: Call): CustomerCard {
  try {
    const kept = JSON.parse(sessionStorage.getItem(CARD_KEY) ?? 'null') as { callId: string; card: CustomerCard } | null;
    if (kept && kept.callId === call.callId && !call.userStr) return kept.card;
  } catch {
    // Nothing kept.
  }
  const card = readCard(call.userStr, call.peer);
  if (call.callId) sessionStorage.setItem(CARD_KEY, JSON.stringify({ callId: call.callId, card }));
  return card;
}

/**
 * The agent desktop: status, the offer that rings, the call (the customer's details beside the
 * video, Mute, Camera off, Transfer, Hang up), wrap-up, and the history below.
 */
export async function agentPage(root: HTMLElement, client: CallClient, token: () => Promise<string>, signOut?: () => void): Promise<void> {
  let queues: QueueChoice[] = await client.listQueues().catch(() => []);
  const queueOf = (id: string | undefined): QueueChoice | undefined => queues.find((q) => q.id === id);
  const queueName = (id: string): string => queueOf(id)?.name ?? id;
  const withWaiting = (id: string): string => {
    const waiting = queueOf(id)?.waiting;
    return waiting === undefined ? queueName(id) : `${queueName(id)} (${waiting} waiting)`;
  };
  const bar = statusBar(client, withWaiting);
  // How many wait in each topic: asked again every few seconds (an agent may not watch the board).
  setInterval(() => {
    client
      .listQueues()
      .then((fresh) => {
        queues = fresh;
        bar.refresh();
      })
      .catch(() => {});
  }, 5000);
  const desk = h('div', { class: 'desk-slot', 'data-testid': 'desk' });
  const message = h('p', { class: 'status', role: 'status', 'data-testid': 'status' });
  const next = h('button', { class: 'primary', type: 'button', 'data-testid': 'next-customer', hidden: true }, 'Next customer');
  const history = agentHistory(client.userId, token, queueName);
  if (signOut) {
    const out = h('button', { class: 'secondary small-button', type: 'button' }, 'Sign out');
    out.addEventListener('click', signOut);
    bar.element.append(out);
  }
  let follow: (call: Call, started: boolean) => void = () => {};
  /** The customers this tab was offered, by call: a call answered in another tab is named as its offer was. */
  const offered = new Map<string, string>();
  const elsewhere = elsewhereNotice(client, (other) => offered.get(other.callId) ?? displayName(other.peer), (call) => follow(call, true));
  const idle = h('section', { class: 'card idle-card' }, message, elsewhere, h('div', { class: 'actions' }, next));
  show(root, h('div', { class: 'desktop' }, bar.element, desk, history.element));

  let lastCustomer: CustomerCard | null = null;
  let lastQueue: string | undefined;
  let stage: CallStage | null = null;
  let wrapUp: ReturnType<typeof wrapUpForm> | null = null;
  /** The call the desk shows (ringing or started); events of other calls leave it alone. */
  let shown: Call | null = null;
  let ringing: { stop(): void } | null = null;

  const say = (text: string): void => {
    message.textContent = text;
  };
  const idleWords = (state: AgentState | null): string => {
    switch (state?.status) {
      case 'available':
        return 'You are available. Waiting for customers…';
      case 'away':
        return state.reason === 'no-answer' ? 'You missed an offer, so you are away. Choose "Available" when you are back.' : 'You are away: no customers are offered to you. Choose "Available" to take calls.';
      case 'offline':
        return 'You are offline. Reconnecting…';
      default:
        return '';
    }
  };
  const showIdle = (): void => {
    if (stage || ringing) return;
    const state = client.agentStatus;
    if (state?.status === 'wrap-up') {
      if (!wrapUp) {
        wrapUp = wrapUpForm(client, lastCustomer?.name ?? 'the last customer', state.since, queueOf(lastQueue)?.wrapUp);
        show(desk, wrapUp.element);
      }
      return;
    }
    wrapUp?.dispose();
    wrapUp = null;
    const manual = manualQueues(queues, state?.queues ?? []);
    next.hidden = manual.length === 0 || state?.status === 'offline';
    next.textContent = manual.length === 1 ? `Next customer (${manual[0]!.name})` : 'Next customer';
    if (!message.dataset.sticky) say(idleWords(state));
    show(desk, idle);
  };

  const inCall = (call: Call, card: CustomerCard, topic: string): void => {
    ringing?.stop();
    ringing = null;
    wrapUp?.dispose();
    wrapUp = null;
    lastCustomer = card;
    lastQueue = call.queue;
    const transfer = call.queue ? transferMenu(client, call, queues, card.name) : null;
    stage = callStage(call, { peerName: card.name, ...(transfer ? { extraControls: [transfer.button] } : {}), onHangup: () => void call.hangup().catch(() => {}) });
    const details = h(
      'aside',
      { class: 'card customer-details', 'aria-label': 'Customer' },
      h('h2', {}, card.name),
      h('p', {}, h('span', { class: 'muted' }, 'Topic: '), topic),
      h('p', { class: 'muted' }, 'Question'),
      h('p', { class: 'question', 'data-testid': 'call-question' }, card.question || '(no question given)'),
      transfer?.panel ?? null,
    );
    show(desk, h('div', { class: 'in-call' }, stage.element, details));
    document.title = `In a call with ${card.name} · Callgate`;
  };

  follow = (call: Call, started: boolean): void => {
    const card = cardOf(call);
    if (call.callId) offered.set(call.callId, card.name);
    const topic = call.queue ? queueName(call.queue) : 'Direct call';
    let answered = started;
    shown = call;
    if (started) inCall(call, card, topic);
    else {
      stage?.dispose();
      stage = null;
      const offer = offerCard(call, card, topic, queueOf(call.queue)?.offerTimeout);
      ringing = offer;
      show(desk, offer.element);
    }
    call.on('started', () => {
      answered = true;
      inCall(call, card, topic);
    });
    call.on('ended', (code) => {
      if (shown !== call) return;
      shown = null;
      ringing?.stop();
      ringing = null;
      stage?.dispose();
      stage = null;
      document.title = 'Agent desktop · Callgate';
      const words = !answered
        ? code === ErrorCode.ANSWERED_ELSEWHERE
          ? `You answered ${card.name} in another tab.`
          : code === ErrorCode.REJECT
          ? `You declined ${card.name}; the next agent will be offered the call.`
          : code === ErrorCode.CANCEL
            ? `${card.name} hung up before you answered.`
            : code === ErrorCode.TIMEOUT
              ? `You missed ${card.name}: the offer was not answered in time.`
              : `The offer from ${card.name} ended.`
        : code === ErrorCode.MOVED
          ? `You took the call with ${card.name} to another tab.`
          : code === ErrorCode.TRANSFERRED
          ? `You transferred ${card.name}.`
          : code === ErrorCode.SUCCESS
            ? `The call with ${card.name} is over.`
            : code === ErrorCode.DISCONNECT
              ? `The connection to ${card.name} was lost, so the call ended.`
              : `The call with ${card.name} ended.`;
      say(words);
      message.dataset.sticky = '1';
      setTimeout(() => delete message.dataset.sticky, 8000);
      showIdle();
      setTimeout(() => void history.refresh(), 500);
    });
  };

  client.on('incoming', (call) => follow(call, false));
  // A call of this tab that came back by itself (after a reload of the SDK's own making).
  client.on('resumed', (call) => follow(call, call.state === 'talking'));
  client.on('agent-status', () => showIdle());
  next.addEventListener('click', () => {
    next.disabled = true;
    client
      .nextCustomer()
      .then((call) => {
        if (call) follow(call, true);
        else say('Nobody is waiting right now.');
      })
      .catch((error: Error) => say(`Could not take the next customer: ${error.message}`))
      .finally(() => (next.disabled = false));
  });
  document.title = 'Agent desktop · Callgate';
  const live = client.currentCall;
  if (live) {
    follow(live, live.state === 'talking');
    // A reloaded page is in the call with new media: the customer's side must offer again.
    if (live.state === 'talking') setTimeout(() => client.currentMedia?.restartIce(), 300);
  }
  showIdle();
  void history.refresh();
}
