import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { RunningServer, ServerOptions } from '@callgate/server';
import { launchChromium } from './chromium.js';
import { startTestServer } from './servers.js';

export const demoDir = fileURLToPath(new URL('../../apps/demo/dist', import.meta.url));
export const resultsDir = fileURLToPath(new URL('../../test-results', import.meta.url));

/** What the demo page puts on `window`, as the tests read it. */
export interface DemoWindow {
  callgate: {
    currentMedia: { peerConnection: RTCPeerConnection; localStream: MediaStream | null; remoteStream: MediaStream } | null;
    currentCall: { roomId: number } | null;
  };
  /** Every `signal` message the page's WebSockets received (recorded by the test, not by the page). */
  receivedSignals: { roomId: number; from: string; data: { kind: string; sdp?: string } }[];
}

/** Records the signals each page receives, below the SDK, so a test can tell what reached it. */
function recordSignals(): void {
  const Native = window.WebSocket;
  const received: unknown[] = [];
  (window as unknown as { receivedSignals: unknown[] }).receivedSignals = received;
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener('message', (event: MessageEvent) => {
        try {
          const message = JSON.parse(String(event.data)) as { type?: string };
          if (message.type === 'signal') received.push(message);
        } catch {
          // not JSON: not ours to record
        }
      });
    }
  };
}

export async function preparePages(context: BrowserContext): Promise<void> {
  await context.addInitScript(recordSignals);
  mkdirSync(resultsDir, { recursive: true });
}

/**
 * The pages of a test file: one Chromium for the file; per test, a server with the demo page
 * (`start`) and the tabs it opened (push them on `pages`), closed after the test. A failed test
 * leaves screenshots of its tabs in test-results/ as `failed-<name>-<i>.png`.
 */
export function pagesPerTest(name: string): { readonly context: BrowserContext; pages: Page[]; start(options?: Partial<ServerOptions>): Promise<string> } {
  let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let server: RunningServer | undefined;
  const pages: Page[] = [];
  beforeAll(async () => {
    chromium = await launchChromium();
    await preparePages(chromium.context);
  }, 300_000);
  afterAll(async () => {
    await chromium?.close();
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      await Promise.all(pages.map((page, i) => page.screenshot({ path: join(resultsDir, `failed-${name}-${i}.png`) }).catch(() => {})));
    }
    await Promise.all(pages.splice(0).map((page) => page.close().catch(() => {})));
    await server?.close();
    server = undefined;
  });
  return {
    get context() {
      if (!chromium) throw new Error('Chromium is not launched yet (use the context inside a test)');
      return chromium.context;
    },
    pages,
    async start(options = {}) {
      server = await startTestServer({ dev: true, demoDir, ...options });
      return server.httpUrl;
    },
  };
}

/** An agent signed in on the agent desktop (serving the topics `uncheck` does not name), set available. */
export async function openAgent(context: BrowserContext, baseUrl: string, name: string, options: { uncheck?: string[]; available?: boolean } = {}): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/#agent`);
  await page.getByLabel('Your name').fill(name);
  for (const topic of options.uncheck ?? []) await page.getByLabel(topic).uncheck();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('My status').waitFor();
  if (options.available !== false) {
    await page.getByLabel('My status').selectOption('available');
    await page.getByTestId('status').filter({ hasText: 'Waiting for customers' }).waitFor();
  }
  return page;
}

/** A customer on the "Talk to us" page, with the topics listed. */
export async function openCustomer(context: BrowserContext, baseUrl: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/#customer`);
  await page.getByRole('form', { name: 'Talk to us' }).waitFor();
  return page;
}

/** The customer asks about `topic` (a queue's name) and starts waiting. */
export async function askFor(page: Page, name: string, topic: string, question: string, media: 'video' | 'voice' = 'video'): Promise<void> {
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Topic').selectOption({ label: topic });
  await page.getByLabel('Your question').fill(question);
  await page.getByLabel(media === 'video' ? 'Video call' : 'Voice only').check();
  await page.getByRole('button', { name: 'Start' }).click();
  await page.getByRole('region', { name: 'Waiting room' }).waitFor();
}

/** Frames of the remote video decoded so far (getStats, inbound-rtp). */
export function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const media = (window as unknown as DemoWindow).callgate.currentMedia;
    if (!media) return -1;
    let frames = 0;
    (await media.peerConnection.getStats()).forEach((report: { type: string; kind?: string; framesDecoded?: number }) => {
      if (report.type === 'inbound-rtp' && report.kind === 'video') frames = report.framesDecoded ?? 0;
    });
    return frames;
  });
}

/** Audio packets received so far (getStats, inbound-rtp). */
export function audioPacketsReceived(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const media = (window as unknown as DemoWindow).callgate.currentMedia;
    if (!media) return -1;
    let packets = 0;
    (await media.peerConnection.getStats()).forEach((report: { type: string; kind?: string; packetsReceived?: number }) => {
      if (report.type === 'inbound-rtp' && report.kind === 'audio') packets = report.packetsReceived ?? 0;
    });
    return packets;
  });
}

/** Waits until the remote <video> shows decoded frames. */
export async function remoteVideoPlays(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const video = document.querySelector<HTMLVideoElement>('[data-testid="remote-video"]');
      return video !== null && video.videoWidth > 0 && !video.paused;
    },
    undefined,
    { timeout: 20_000 },
  );
}

/** Polls `read` until it is larger than `than`. */
export async function risesAbove(read: () => Promise<number>, than: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value > than) return value;
    if (Date.now() > deadline) throw new Error(`stayed at ${value}, not above ${than}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
