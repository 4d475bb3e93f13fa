import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { framesDecoded, openAgent, openCustomer, preparePages, remoteVideoPlays, resultsDir, risesAbove } from '../support/demo-pages.js';
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
  it('a customer on node 1 video-calls an agent on node 3: they see each other', async () => {
    const prefix = `cgdemo-${randomUUID().slice(0, 8)}:`;
    for (let i = 1; i <= 3; i++) {
      nodes.push(
        await serveCallgate(['--dev', '--secret', 'demo-cluster-secret', '--redis', inject('redisUrl'), '--redis-prefix', prefix, '--node', `demo-${i}`]),
      );
    }
    const agent = await openAgent(chromium.context, nodes[2]!.httpUrl, 'Anna');
    const customer = await openCustomer(chromium.context, nodes[0]!.httpUrl, 'agent-anna');
    pages.push(agent, customer);

    await customer.getByTestId('name').fill('Maria');
    await customer.getByTestId('question').fill('Which node am I on?');
    await customer.getByTestId('call-button').click();
    await agent.getByTestId('incoming').waitFor();
    expect(await agent.getByTestId('incoming-name').innerText()).toBe('Maria');
    await agent.getByTestId('accept').click();

    for (const [page, name] of [[customer, 'cluster-customer'], [agent, 'cluster-agent']] as const) {
      await page.bringToFront();
      await remoteVideoPlays(page);
      await risesAbove(() => framesDecoded(page), await framesDecoded(page));
      await page.screenshot({ path: join(resultsDir, `${name}-in-call.png`) });
    }
    await agent.getByTestId('hangup').click();
    await customer.getByTestId('customer-form').waitFor();
  });
});
