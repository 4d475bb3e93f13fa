import { CallFlags, type Call } from '@callgate/client';
import { playRingtone } from '../call/sounds.js';
import { h } from '../dom.js';
import type { CustomerCard } from '../customer-card.js';

/** How long an offer rings when the queue does not say (a server's default offerTimeout). */
export const OFFER_SECONDS = 20;

/**
 * An offer ringing at the agent: ringtone, a flashing title, a notification when the tab is
 * hidden, the customer's name, topic and question, a countdown, Accept and Decline.
 */
export function offerCard(call: Call, card: CustomerCard, topic: string, seconds = OFFER_SECONDS): { element: HTMLElement; stop(): void } {
  const voice = (call.flags & CallFlags.VIDEO) === 0;
  const countdown = h('span', { class: 'countdown', 'data-testid': 'offer-countdown', 'aria-label': 'Seconds left to answer' }, String(seconds));
  const accept = h('button', { class: 'primary', type: 'button', 'data-testid': 'accept' }, 'Accept');
  const decline = h('button', { class: 'secondary', type: 'button', 'data-testid': 'decline' }, 'Decline');
  const element = h(
    'section',
    { class: 'card offer', role: 'alertdialog', 'aria-label': `Incoming call from ${card.name}`, 'data-testid': 'incoming' },
    h('div', { class: 'offer-head' }, h('span', { class: 'ringing' }, voice ? 'Incoming voice call' : 'Incoming video call'), countdown),
    h('p', { class: 'offer-name', 'data-testid': 'incoming-name' }, card.name),
    h('p', {}, h('span', { class: 'muted' }, 'Topic: '), h('span', { 'data-testid': 'incoming-topic' }, topic)),
    h('p', { class: 'question', 'data-testid': 'incoming-question' }, card.question || '(no question given)'),
    h('div', { class: 'actions' }, accept, decline),
  );
  const tone = playRingtone();
  const title = document.title;
  const startedAt = Date.now();
  let flash = false;
  const timer = setInterval(() => {
    const left = Math.max(0, seconds - Math.floor((Date.now() - startedAt) / 1000));
    countdown.textContent = String(left);
    flash = !flash;
    document.title = flash ? `📞 ${card.name} is calling` : title;
  }, 1000);
  let notification: Notification | null = null;
  if (document.hidden && typeof Notification !== 'undefined' && Notification.permission === 'granted') {
    notification = new Notification(`${card.name} is calling`, { body: `${topic}: ${card.question}`, tag: 'callgate-offer', requireInteraction: true });
    notification.onclick = () => {
      window.focus();
      notification?.close();
    };
  }
  const stop = (): void => {
    tone.stop();
    clearInterval(timer);
    document.title = title;
    notification?.close();
  };
  accept.addEventListener('click', () => {
    accept.disabled = decline.disabled = true;
    stop();
    void call.accept().catch(() => {});
  });
  decline.addEventListener('click', () => {
    accept.disabled = decline.disabled = true;
    stop();
    void call.reject().catch(() => {});
  });
  call.once('ended', stop);
  call.once('started', stop);
  return { element, stop };
}

/** Asks once for permission to notify (from a click: browsers want a gesture). */
export function askToNotify(): void {
  if (typeof Notification !== 'undefined' && Notification.permission === 'default') void Notification.requestPermission().catch(() => {});
}
