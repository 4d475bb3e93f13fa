import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/protocol';
import type { ServerOptions } from '@callgate/server';
import { launchChromium } from '../support/chromium.js';
import { devicePageDir, openDevicePage, pageReady, stateOf, videoFlows } from '../support/device-pages.js';
import { startTestServer, waitUntil, type TestServer } from '../support/servers.js';

let chromium: Awaited<ReturnType<typeof launchChromium>>;
let page: ReturnType<typeof devicePageDir>;
let server: TestServer | undefined;
const tabs: Page[] = [];

beforeAll(async () => {
  chromium = await launchChromium();
  page = devicePageDir();
}, 300_000);

afterAll(async () => {
  await chromium?.close();
  page?.dispose();
});

afterEach(async () => {
  await Promise.all(tabs.splice(0).map((tab) => tab.close()));
  await server?.close();
  server = undefined;
});

async function start(options: Partial<ServerOptions> = {}): Promise<string> {
  server = await startTestServer({ dev: true, demoDir: page.dir, ...options });
  return server.httpUrl;
}

async function open(baseUrl: string, user: string): Promise<Page> {
  const tab = await openDevicePage(chromium.context, baseUrl, user);
  tabs.push(tab);
  return tab;
}

/** alice's tab calls bob, and bob's tab (the first to ring) accepts; resolves once both talk. */
async function videoCall(alice: Page, bob: Page): Promise<void> {
  await alice.evaluate(() => {
    const t = (window as unknown as { t: { client: { call(peer: string, options: object): unknown }; call: unknown } }).t;
    t.call = t.client.call('bob', { flags: 3 });
  });
  await bob.waitForFunction(() => (window as unknown as { t: { call: { state: string } | null } }).t.call?.state === 'ringing');
  await bob.evaluate(() => (window as unknown as { t: { call: { accept(): Promise<void> } } }).t.call.accept());
  for (const tab of [alice, bob]) await tab.waitForFunction(() => (window as unknown as { t: { call: { state: string } | null } }).t.call?.state === 'talking');
}

const events = async (tab: Page, event: number): Promise<number> => (await stateOf(tab)).events.filter((e) => e.event === event).length;

describe('a page that reloads is the same device', { timeout: 90_000 }, () => {
  it('a reload mid-call resumes the same call and its media, the callee’s page and then the caller’s', async () => {
    const baseUrl = await start();
    const alice = await open(baseUrl, 'alice');
    const bob = await open(baseUrl, 'bob');
    await videoCall(alice, bob);
    await videoFlows(alice);
    await videoFlows(bob);
    const before = await stateOf(bob);
    const aliceBefore = await stateOf(alice);

    for (const [reloaded, peer] of [[bob, alice], [alice, bob]] as const) {
      await reloaded.reload();
      await pageReady(reloaded);
      await reloaded.waitForFunction(() => (window as unknown as { t: { call: { state: string } | null } }).t.call?.state === 'talking');
      const after = await stateOf(reloaded);
      expect(after.deviceId).toBe(reloaded === bob ? before.deviceId : aliceBefore.deviceId);
      expect(after.sessionId).toBe(reloaded === bob ? before.sessionId : aliceBefore.sessionId);
      expect(after.call).toMatchObject({ callId: before.call!.callId, roomId: before.call!.roomId, state: 'talking', direction: reloaded === bob ? 'incoming' : 'outgoing' });
      // The media comes back both ways: the reloaded page's new connection and the peer's renegotiated one.
      await videoFlows(reloaded);
      await videoFlows(peer);
      expect((await stateOf(peer)).call?.state).toBe('talking');
    }
    // Nobody heard the call end; the caller heard one START.
    expect(await events(alice, VideoCallEvent.FINISH)).toBe(0);
    expect(await events(bob, VideoCallEvent.FINISH)).toBe(0);
    // The reloaded pages' controls are new ones: bob's hang-up is not taken for his accept before the reload.
    await bob.evaluate(() => (window as unknown as { t: { call: { hangup(): Promise<void> } } }).t.call.hangup());
    await alice.waitForFunction(() => (window as unknown as { t: { call: { state: string } } }).t.call.state === 'ended');
  });

  it('a reload while the call rings rings again, and the call can be answered from the reloaded page', async () => {
    const baseUrl = await start();
    const alice = await open(baseUrl, 'alice');
    const bob = await open(baseUrl, 'bob');
    await alice.evaluate(() => {
      const t = (window as unknown as { t: { client: { call(peer: string, options: object): unknown }; call: unknown } }).t;
      t.call = t.client.call('bob', { flags: 3 });
    });
    await bob.waitForFunction(() => (window as unknown as { t: { incoming: string[] } }).t.incoming.length === 1);
    const ringing = await stateOf(bob);
    await bob.reload();
    await pageReady(bob);
    await bob.waitForFunction(() => (window as unknown as { t: { incoming: string[] } }).t.incoming.length === 1);
    const again = await stateOf(bob);
    expect(again.incoming).toEqual(ringing.incoming);
    expect(again.call?.state).toBe('ringing');
    await bob.evaluate(() => (window as unknown as { t: { call: { accept(): Promise<void> } } }).t.call.accept());
    await alice.waitForFunction(() => (window as unknown as { t: { call: { state: string } } }).t.call.state === 'talking');
    await videoFlows(alice);
    await videoFlows(bob);
    // The caller heard one ringing and one START: the reload was not a second call.
    expect(await events(alice, VideoCallEvent.REPLY)).toBe(1);
    expect(await events(alice, VideoCallEvent.START)).toBe(1);
  });
});

describe('a closed tab', { timeout: 60_000 }, () => {
  it('is out of ringing within 2 s: a new REQUEST rings only the user’s other tab', async () => {
    const baseUrl = await start();
    const alice = await open(baseUrl, 'alice');
    const first = await open(baseUrl, 'bob');
    const second = await open(baseUrl, 'bob');
    expect((await stateOf(first)).deviceId).not.toBe((await stateOf(second)).deviceId);
    tabs.splice(tabs.indexOf(first), 1);
    await first.close();
    const closedAt = Date.now();
    await alice.evaluate(() => {
      const t = (window as unknown as { t: { client: { call(peer: string, options: object): unknown }; call: unknown } }).t;
      t.call = t.client.call('bob', { flags: 3 });
    });
    await second.waitForFunction(() => (window as unknown as { t: { call: { state: string } | null } }).t.call?.state === 'ringing');
    await alice.waitForFunction(() => (window as unknown as { t: { call: { state: string } } }).t.call.state === 'ringing');
    expect(Date.now() - closedAt).toBeLessThan(2000);
    await second.evaluate(() => (window as unknown as { t: { call: { accept(): Promise<void> } } }).t.call.accept());
    await alice.waitForFunction(() => (window as unknown as { t: { call: { state: string } } }).t.call.state === 'talking');
  });

  it('the only tab closed: the user is offline at once, and a REQUEST rings nobody (it waits out the grace period, then OFFLINE)', async () => {
    const baseUrl = await start({ graceMs: 3000 });
    const alice = await open(baseUrl, 'alice');
    const bob = await open(baseUrl, 'bob');
    await alice.evaluate(() => (window as unknown as { t: { client: { watchPresence(filter: object): void } } }).t.client.watchPresence({ users: ['bob'] }));
    const status = (): Promise<string | undefined> =>
      alice.evaluate(() => (window as unknown as { t: { client: { presence: Map<string, { status: string }> } } }).t.client.presence.get('bob')?.status);
    await waitUntil('bob idle', async () => (await status()) === 'idle', 5000);
    tabs.splice(tabs.indexOf(bob), 1);
    await bob.close();
    const closedAt = Date.now();
    await waitUntil('bob offline', async () => (await status()) === 'offline', 2000);
    expect(Date.now() - closedAt).toBeLessThan(2000);
    await alice.evaluate(() => {
      const t = (window as unknown as { t: { client: { call(peer: string, options: object): unknown }; call: unknown } }).t;
      t.call = t.client.call('bob', { flags: 3 });
    });
    await alice.waitForFunction(() => (window as unknown as { t: { call: { state: string } } }).t.call.state === 'ended', undefined, { timeout: 10_000 });
    const ended = await stateOf(alice);
    expect(ended.call?.endCode).toBe(ErrorCode.OFFLINE);
    expect(ended.events.filter((e) => e.event === VideoCallEvent.REPLY).map((e) => e.errorCode)).toEqual([ErrorCode.OFFLINE]);
  });
});
