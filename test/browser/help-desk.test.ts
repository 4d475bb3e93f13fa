import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { askFor, framesDecoded, openAgent, openCustomer, pagesPerTest, remoteVideoPlays, resultsDir, risesAbove } from '../support/demo-pages.js';

/**
 * The three contact-centre pages in Chromium, driven by their accessible labels: a small help desk
 * (two agents, three customers, a supervisor) from the first customer to the rating in the record.
 */

const ADMIN_KEY = 'help-desk-admin-key-0123456789';
const queues = [
  { id: 'billing', name: 'Billing and payments', offerTimeout: 20, wrapUp: 30, serviceLevel: 60 },
  { id: 'tech', name: 'Technical support', offerTimeout: 20, wrapUp: 30, serviceLevel: 60 },
];

const suite = pagesPerTest('help-desk');
const pages = suite.pages;

async function start(): Promise<string> {
  return suite.start({ adminKey: ADMIN_KEY, queues });
}

const shot = async (page: Page, name: string): Promise<void> => {
  await page.screenshot({ path: join(resultsDir, `${name}.png`), fullPage: false });
};

/** Takes the screenshot at desktop size as well, then goes back to the phone size. */
const shots = async (page: Page, name: string): Promise<void> => {
  await shot(page, `${name}-phone`);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForTimeout(150);
  await shot(page, `${name}-desktop`);
  await page.setViewportSize({ width: 390, height: 844 });
};

const position = (page: Page): Promise<string> => page.getByTestId('position').innerText();

async function admin<T>(baseUrl: string, path: string): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

describe('the contact-centre pages in Chromium', { timeout: 90_000 }, () => {
  it('a help-desk morning: places count down, the right agent is offered, video and mute both ways, transfer, wrap-up, rating, wallboard', async () => {
    const baseUrl = await start();
    const landing = await suite.context.newPage();
    pages.push(landing);
    await landing.goto(`${baseUrl}/`);
    await landing.getByRole('link', { name: /Customer/ }).waitFor();
    await shots(landing, 'landing');

    const anna = await openAgent(suite.context, baseUrl, 'Anna', { available: false });
    const bob = await openAgent(suite.context, baseUrl, 'Bob', { available: false });
    pages.push(anna, bob);

    const [carol, dave, erin] = [await openCustomer(suite.context, baseUrl), await openCustomer(suite.context, baseUrl), await openCustomer(suite.context, baseUrl)];
    pages.push(carol!, dave!, erin!);
    await askFor(carol!, 'Carol', 'Billing and payments', 'I was charged twice for order #1234');
    await askFor(dave!, 'Dave', 'Billing and payments', 'Where is my invoice?');
    await askFor(erin!, 'Erin', 'Billing and payments', 'Can I pay by bank transfer?', 'voice');
    await erin!.getByTestId('position').filter({ hasText: 'You are 3rd in line' }).waitFor();
    expect(await erin!.title()).toMatch(/^\(3\)/);
    expect(await position(carol!)).toBe('You are next in line');
    await erin!.getByTestId('waited').filter({ hasText: /0:0[1-9]/ }).waitFor();
    await shots(erin!, 'customer-waiting');

    const supervisor = await suite.context.newPage();
    pages.push(supervisor);
    await supervisor.goto(`${baseUrl}/#supervisor`);
    await supervisor.getByTestId('waiting-billing').filter({ hasText: '3' }).waitFor();

    // Anna goes available: she is offered Carol, first in line.
    await anna.getByLabel('My status').selectOption('available');
    const offer = anna.getByRole('alertdialog', { name: 'Incoming call from Carol' });
    await offer.waitFor();
    expect(await anna.getByTestId('incoming-topic').innerText()).toBe('Billing and payments');
    expect(await anna.getByTestId('incoming-question').innerText()).toBe('I was charged twice for order #1234');
    await anna.getByTestId('offer-countdown').filter({ hasText: /^1[0-4]$/ }).waitFor();
    await shots(anna, 'agent-offer');
    await anna.getByRole('button', { name: 'Accept' }).click();

    await Promise.all([remoteVideoPlays(anna), remoteVideoPlays(carol!)]);
    await risesAbove(() => framesDecoded(carol!), 10);
    await risesAbove(() => framesDecoded(anna), 10);
    expect(await anna.getByTestId('call-question').innerText()).toBe('I was charged twice for order #1234');
    await dave!.getByTestId('position').filter({ hasText: 'You are next in line' }).waitFor();
    await erin!.getByTestId('position').filter({ hasText: 'You are 2nd in line' }).waitFor();

    // Mute shows on the other side; so does camera off (initials instead of a black picture).
    await anna.getByRole('button', { name: 'Mute' }).click();
    await carol!.getByText('Anna is muted').waitFor();
    await carol!.getByRole('button', { name: 'Camera off' }).click();
    await anna.getByText('Carol turned the camera off').waitFor();
    expect(await anna.getByTestId('remote-tile').getAttribute('class')).toContain('no-video');
    await carol!.getByTestId('call-quality').filter({ hasText: /connection · \d+ ms/ }).waitFor();
    await shots(carol!, 'customer-call');
    await carol!.getByRole('button', { name: 'Camera on' }).click();
    await anna.getByRole('button', { name: 'Unmute' }).click();
    await carol!.getByText('Anna is muted').waitFor({ state: 'hidden' });
    await shots(anna, 'agent-call');

    // Anna transfers Carol to Technical support; Bob (who serves both) goes available and gets her.
    await anna.getByRole('button', { name: 'Transfer', exact: true }).click();
    await anna.getByLabel('Transfer Carol to').selectOption({ label: 'Technical support' });
    await anna.getByRole('button', { name: 'Transfer now' }).click();
    await carol!.getByTestId('transfer').filter({ hasText: 'Anna is transferring you to Technical support — you are next in line' }).waitFor();
    // Anna wraps up; Bob (who serves both topics) goes available and is offered Carol.
    await anna.getByRole('form', { name: 'Wrap-up' }).waitFor();
    await bob.getByLabel('My status').selectOption('available');
    await bob.getByRole('alertdialog', { name: 'Incoming call from Carol' }).waitFor();
    await bob.getByRole('button', { name: 'Accept' }).click();
    await remoteVideoPlays(carol!);
    await anna.getByLabel('Outcome').selectOption('escalated');
    await anna.getByLabel('Notes').fill('double charge: sent to tech');
    await shots(anna, 'agent-wrap-up');
    await anna.getByRole('button', { name: 'Ready for the next customer' }).click();
    await anna.getByRole('alertdialog', { name: 'Incoming call from Dave' }).waitFor();
    await anna.getByRole('button', { name: 'Accept' }).click();
    await erin!.getByTestId('position').filter({ hasText: 'You are next in line' }).waitFor();
    const annas = await admin<{ calls: { disposition: string | null; notes: string | null }[] }>(baseUrl, '/api/calls?user=agent-anna&outcome=transferred');
    expect(annas.calls[0]).toMatchObject({ disposition: 'escalated', notes: 'double charge: sent to tech' });

    // Bob hangs up; Carol rates the call.
    await bob.getByRole('button', { name: 'Hang up' }).click();
    await carol!.getByRole('form', { name: 'Rate your call' }).waitFor();
    await carol!.getByRole('button', { name: '4 stars' }).click();
    await carol!.getByLabel('Comment (optional)').fill('quick and kind');
    await shots(carol!, 'customer-rating');
    await carol!.getByRole('button', { name: 'Send rating' }).click();
    await carol!.getByTestId('rating-thanks').waitFor();
    const served = await admin<{ entries: { callId: string; customer: string; outcome: string; queue: string }[] }>(baseUrl, '/api/queue-entries?outcome=served');
    const carols = served.entries.find((entry) => entry.queue === 'tech');
    expect(carols).toBeDefined();
    const record = await admin<{ rating: { score: number; comment: string } | null; queue: string }>(baseUrl, `/api/calls/${carols!.callId}`);
    expect(record).toMatchObject({ queue: 'tech', rating: { score: 4, comment: 'quick and kind' } });
    // The wallboard matches: Erin waits in billing, one served in tech, Anna talking to Dave.
    await supervisor.getByTestId('waiting-billing').filter({ hasText: /^1$/ }).waitFor();
    await supervisor.getByTestId('served-tech').filter({ hasText: /^1$/ }).waitFor({ timeout: 10_000 });
    await supervisor.getByTestId('status-agent-anna').filter({ hasText: 'In a call' }).waitFor();
    await supervisor.getByTestId('handled-agent-bob').filter({ hasText: /^1$/ }).waitFor({ timeout: 10_000 });
    const stats = await admin<{ live: { waiting: number } }>(baseUrl, '/api/queues/billing/stats');
    expect(await supervisor.getByTestId('waiting-billing').innerText()).toBe(String(stats.live.waiting));
    await supervisor.setViewportSize({ width: 1280, height: 800 });
    await shot(supervisor, 'wallboard-desktop');
    await supervisor.setViewportSize({ width: 390, height: 844 });
    await shot(supervisor, 'wallboard-phone');

    // Anna ends the call with Dave, wraps up, and declines Erin.
    await anna.getByRole('button', { name: 'Hang up' }).click();
    await anna.getByRole('form', { name: 'Wrap-up' }).waitFor();
    await anna.getByRole('button', { name: 'Ready for the next customer' }).click();
    await anna.getByRole('alertdialog', { name: 'Incoming call from Erin' }).waitFor();
    await anna.getByRole('button', { name: 'Decline' }).click();
    await anna.getByTestId('status').filter({ hasText: 'You declined Erin' }).waitFor();

    // Anna's history: talked, transferred and declined, each in words.
    await anna.getByTestId('history-row').filter({ hasText: 'You declined' }).waitFor();
    await anna.getByTestId('history-row').filter({ hasText: 'Dave' }).filter({ hasText: 'Talked' }).waitFor();
    expect(await anna.getByTestId('history-row').filter({ hasText: 'Carol' }).innerText()).toContain('Transferred');
    await shots(anna, 'agent-history');
  });
});
