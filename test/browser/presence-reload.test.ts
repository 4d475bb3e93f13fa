import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { askFor, framesDecoded, openAgent, openCustomer, pagesPerTest, remoteVideoPlays, resultsDir, risesAbove } from '../support/demo-pages.js';

/** Presence the pages can trust: a closed agent tab leaves routing; a reloaded customer tab comes back into its call. */

const queues = [{ id: 'billing', name: 'Billing and payments', offerTimeout: 20, wrapUp: 5 }];

const suite = pagesPerTest('presence');
const pages = suite.pages;

async function start(): Promise<string> {
  return suite.start({ queues, graceMs: 15_000 });
}

describe('presence and reloads on the contact-centre pages', { timeout: 60_000 }, () => {
  it('an agent who closes the tab is out of routing at once and shows offline on the wallboard', async () => {
    const baseUrl = await start();
    const anna = await openAgent(suite.context, baseUrl, 'Anna');
    const bob = await openAgent(suite.context, baseUrl, 'Bob');
    const supervisor = await suite.context.newPage();
    pages.push(bob, supervisor);
    await supervisor.goto(`${baseUrl}/#supervisor`);
    await supervisor.getByTestId('status-agent-anna').filter({ hasText: 'Available' }).waitFor();

    await anna.close();
    await supervisor.getByTestId('status-agent-anna').filter({ hasText: 'Offline' }).waitFor({ timeout: 2000 });
    const carol = await openCustomer(suite.context, baseUrl);
    pages.push(carol);
    await askFor(carol, 'Carol', 'Billing and payments', 'Is anyone there?');
    // Anna had waited longest, but her tab is gone: Bob is offered Carol.
    await bob.getByRole('alertdialog', { name: 'Incoming call from Carol' }).waitFor({ timeout: 5000 });
  });

  it('a customer, then the agent, reload the page mid-call: each comes back into the same call, with video', async () => {
    const baseUrl = await start();
    const anna = await openAgent(suite.context, baseUrl, 'Anna');
    const carol = await openCustomer(suite.context, baseUrl);
    pages.push(anna, carol);
    await askFor(carol, 'Carol', 'Billing and payments', 'Will my call survive a reload?');
    await anna.getByRole('button', { name: 'Accept' }).click();
    await Promise.all([remoteVideoPlays(anna), remoteVideoPlays(carol)]);

    await carol.reload();
    await carol.getByRole('region', { name: 'Call with Anna' }).waitFor({ timeout: 15_000 });
    await remoteVideoPlays(carol);
    await risesAbove(() => framesDecoded(carol), 10, 15_000);
    const before = await framesDecoded(anna);
    await risesAbove(() => framesDecoded(anna), before + 10, 15_000);
    expect(await anna.getByRole('region', { name: 'Call with Carol' }).count()).toBe(1);

    // So does the agent.
    await anna.reload();
    await anna.getByRole('region', { name: 'Call with Carol' }).waitFor({ timeout: 15_000 });
    await remoteVideoPlays(anna);
    await risesAbove(() => framesDecoded(anna), 10, 15_000);
    const carolBefore = await framesDecoded(carol);
    await risesAbove(() => framesDecoded(carol), carolBefore + 10, 15_000);

    await anna.getByRole('button', { name: 'Hang up' }).click();
    await carol.getByRole('form', { name: 'Rate your call' }).waitFor();
  });

  it('the same agent in two tabs: both ring, one answers, the other tells the truth and can take the call over', async () => {
    const baseUrl = await start();
    const laptop = await openAgent(suite.context, baseUrl, 'Anna');
    const second = await openAgent(suite.context, baseUrl, 'Anna');
    await laptop.getByTestId('queues-served').filter({ hasText: 'Topics: Billing and payments (0 waiting)' }).waitFor();
    const carol = await openCustomer(suite.context, baseUrl);
    pages.push(laptop, second, carol);
    await askFor(carol, 'Carol', 'Billing and payments', 'Two tabs?');
    for (const tab of [laptop, second]) await tab.getByRole('alertdialog', { name: 'Incoming call from Carol' }).waitFor();
    await laptop.getByRole('button', { name: 'Accept' }).click();
    await Promise.all([remoteVideoPlays(laptop), remoteVideoPlays(carol)]);
    await second.getByTestId('status').filter({ hasText: 'You answered Carol in another tab.' }).waitFor();
    await second.getByTestId('elsewhere').filter({ hasText: 'You are in a call with Carol in another tab.' }).waitFor();
    for (const [size, viewport] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]] as const) {
      await second.setViewportSize(viewport);
      await second.screenshot({ path: join(resultsDir, `agent-elsewhere-${size}.png`) });
    }

    await second.getByRole('button', { name: 'Take the call here' }).click();
    await second.getByRole('region', { name: 'Call with Carol' }).waitFor({ timeout: 15_000 });
    await laptop.getByTestId('status').filter({ hasText: 'You took the call with Carol to another tab.' }).waitFor();
    await remoteVideoPlays(second);
    await risesAbove(() => framesDecoded(second), 10, 15_000);
    // Carol saw no hang-up: her call goes on, and her video comes from the new tab.
    expect(await carol.getByRole('region', { name: 'Call with Anna' }).count()).toBe(1);
    const carolBefore = await framesDecoded(carol);
    await risesAbove(() => framesDecoded(carol), carolBefore + 10, 15_000);
    await second.getByRole('button', { name: 'Hang up' }).click();
    await carol.getByRole('form', { name: 'Rate your call' }).waitFor();
  });
});
