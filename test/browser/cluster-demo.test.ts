import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { askFor, framesDecoded, openAgent, openCustomer, preparePages, remoteVideoPlays, resultsDir, risesAbove } from '../support/demo-pages.js';
import { serveCallgate, type CallgateServer } from '../support/callgate-process.js';

let chromium: Awaited<ReturnType<typeof launchChromium>>;
const nodes: CallgateServer[] = [];
const pages: Page[] = [];

beforeAll(async () => {
  chromium = await launchChromium();
  await preparePages(chromium.context);
}, 300_000);

afterAll(async () => {
  await Promise.all(pages.map((page) => page.close()));
  await chromium?.close();
  await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
});

describe('three `callgate serve --redis` processes serve one demo', { timeout: 90_000 }, () => {
  it('a customer on node 1 asks a topic (the --dev demo queues) and an agent on node 3 takes the call: they see each other', async () => {
    const prefix = `cgdemo-${randomUUID().slice(0, 8)}:`;
    for (let i = 1; i <= 3; i++) {
      nodes.push(
        await serveCallgate(['--dev', '--secret', 'demo-cluster-secret', '--redis', inject('redisUrl'), '--redis-prefix', prefix, '--node', `demo-${i}`]),
      );
    }
    const agent = await openAgent(chromium.context, nodes[2]!.httpUrl, 'Anna');
    const customer = await openCustomer(chromium.context, nodes[0]!.httpUrl);
    pages.push(agent, customer);

    await askFor(customer, 'Maria', 'Billing and payments', 'Which node am I on?');
    await agent.getByRole('alertdialog', { name: 'Incoming call from Maria' }).waitFor();
    expect(await agent.getByTestId('incoming-question').innerText()).toBe('Which node am I on?');
    await agent.getByRole('button', { name: 'Accept' }).click();

    for (const [page, name] of [[customer, 'cluster-customer'], [agent, 'cluster-agent']] as const) {
      await page.bringToFront();
      await remoteVideoPlays(page);
      await risesAbove(() => framesDecoded(page), await framesDecoded(page));
      await page.screenshot({ path: join(resultsDir, `${name}-in-call.png`) });
    }
    await agent.getByRole('button', { name: 'Hang up' }).click();
    await customer.getByRole('form', { name: 'Rate your call' }).waitFor();
  });
});
