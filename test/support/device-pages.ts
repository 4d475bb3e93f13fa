import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';

const bundle = fileURLToPath(new URL('../../packages/client/dist/callgate-client.min.js', import.meta.url));

/**
 * A bare page on the browser bundle, signed in as the user named in its hash (`#user=bob`) with
 * the server's dev login, that does nothing of its own: it keeps what the SDK told it on `window.t`
 * for the test to read and act on. Served by the test server as its "demo" directory.
 */
const page = `<!doctype html>
<meta charset="utf-8"><title>devices</title>
<video id="remote" autoplay playsinline muted></video>
<script type="module">
  import { CallClient } from './callgate-client.min.js';
  const user = new URLSearchParams(location.hash.slice(1)).get('user');
  const login = await fetch('/api/dev/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: user }) });
  const { token } = await login.json();
  const client = new CallClient({ url: location.origin.replace(/^http/, 'ws'), token });
  const t = (window.t = { client, events: [], incoming: [], resumed: [], elsewhere: [], call: null, ready: false });
  const follow = (call) => {
    t.call = call;
    call.on('media-state', (media) => (document.querySelector('#remote').srcObject = media.remoteStream));
  };
  client.setVideoCallEventCallback((event, userId, errorCode, flags, param) => t.events.push({ event, userId, errorCode, param }));
  client.on('incoming', (call) => (t.incoming.push(call.callId), follow(call)));
  client.on('resumed', (call) => (t.resumed.push(call.callId), follow(call)));
  client.on('elsewhere', (call) => t.elsewhere.push(call && { callId: call.callId, state: call.state, device: call.device }));
  await client.connect();
  t.ready = true;
</script>
`;

/** The directory the test server serves the page from; remove it with `dispose`. */
export function devicePageDir(): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'callgate-device-page-'));
  writeFileSync(join(dir, 'index.html'), page);
  copyFileSync(bundle, join(dir, 'callgate-client.min.js'));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What a device page keeps, as the test reads it. */
export interface DevicePageState {
  events: { event: number; userId: string; errorCode: number; param: number }[];
  incoming: string[];
  resumed: string[];
  elsewhere: ({ callId: string; state: string; device: string } | null)[];
  deviceId: string;
  sessionId: string | null;
  call: { callId: string | null; state: string; roomId: number; direction: string; endCode: number | undefined } | null;
  media: string | null;
}

/** Opens the page in a new tab of `context`, signed in as `user`, once its client connected. */
export async function openDevicePage(context: BrowserContext, baseUrl: string, user: string): Promise<Page> {
  const tab = await context.newPage();
  await tab.goto(`${baseUrl}/#user=${user}`);
  await pageReady(tab);
  return tab;
}

/** Waits for the page (e.g. after a reload) to have connected again. */
export async function pageReady(tab: Page): Promise<void> {
  await tab.waitForFunction(() => (window as unknown as { t?: { ready: boolean } }).t?.ready === true, undefined, { timeout: 15_000 });
}

export function stateOf(tab: Page): Promise<DevicePageState> {
  return tab.evaluate(() => {
    type Call = { callId: string | null; state: string; roomId: number; direction: string; endCode: number | undefined; media: { state: { connection: string } } | null };
    const t = (window as unknown as { t: { events: never[]; incoming: never[]; resumed: never[]; elsewhere: never[]; call: Call | null; client: { deviceId: string; session: { sessionId: string } | null } } }).t;
    const call = t.call;
    return {
      events: t.events,
      incoming: t.incoming,
      resumed: t.resumed,
      elsewhere: t.elsewhere,
      deviceId: t.client.deviceId,
      sessionId: t.client.session?.sessionId ?? null,
      call: call && { callId: call.callId, state: call.state, roomId: call.roomId, direction: call.direction, endCode: call.endCode },
      media: call?.media?.state.connection ?? null,
    };
  });
}

/** Frames of the remote video decoded so far by the page's current call (-1 without media). */
export function decodedFrames(tab: Page): Promise<number> {
  return tab.evaluate(async () => {
    const media = (window as unknown as { t: { client: { currentMedia: { peerConnection: RTCPeerConnection } | null } } }).t.client.currentMedia;
    if (!media) return -1;
    let frames = 0;
    (await media.peerConnection.getStats()).forEach((report: { type: string; kind?: string; framesDecoded?: number }) => {
      if (report.type === 'inbound-rtp' && report.kind === 'video') frames = report.framesDecoded ?? 0;
    });
    return frames;
  });
}

/** Waits until the page's remote video decodes frames: more than it had, twice over (so they keep coming). */
export async function videoFlows(tab: Page, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = await decodedFrames(tab);
  let rises = 0;
  while (rises < 2) {
    if (Date.now() > deadline) throw new Error(`the remote video stayed at ${seen} frames`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await decodedFrames(tab);
    if (now > seen && seen >= 0) rises++;
    seen = now;
  }
}
