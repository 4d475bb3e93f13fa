import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@callgate/protocol';
import type { RunningServer, ServerOptions } from '@callgate/server';
import { launchChromium } from '../support/chromium.js';
import {
  audioPacketsReceived,
  demoDir,
  framesDecoded,
  openAgent,
  openCustomer,
  preparePages,
  remoteVideoPlays,
  resultsDir,
  risesAbove,
  type DemoWindow,
} from '../support/demo-pages.js';
import { startTestServer } from '../support/servers.js';

let chromium: Awaited<ReturnType<typeof launchChromium>>;
let server: RunningServer | undefined;
const pages: Page[] = [];

beforeAll(async () => {
  chromium = await launchChromium();
  await preparePages(chromium.context);
}, 300_000);

afterAll(async () => {
  await chromium?.close();
});

afterEach(async () => {
  await Promise.all(pages.splice(0).map((page) => page.close()));
  await server?.close();
  server = undefined;
});

async function start(options: Partial<ServerOptions> = {}): Promise<string> {
  server = await startTestServer({ dev: true, demoDir, ...options });
  return server.httpUrl;
}

async function agentAndCustomer(baseUrl: string): Promise<{ agent: Page; customer: Page }> {
  const agent = await openAgent(chromium.context, baseUrl, 'Anna');
  const customer = await openCustomer(chromium.context, baseUrl, 'agent-anna');
  pages.push(agent, customer);
  return { agent, customer };
}

async function ask(customer: Page, button: 'call-button' | 'voice-call-button'): Promise<void> {
  await customer.getByTestId('name').fill('Maria');
  await customer.getByTestId('question').fill('My order #1234 has not arrived');
  await customer.getByTestId(button).click();
}

const statusOf = (page: Page): Promise<string> => page.getByTestId('status').innerText();

/** The live tracks of the page's camera and microphone, kept on window so they can be checked after the call. */
const keepLocalTracks = (page: Page): Promise<number> =>
  page.evaluate(() => {
    const tracks = (window as unknown as DemoWindow).callgate.currentMedia?.localStream?.getTracks() ?? [];
    (window as unknown as { keptTracks: MediaStreamTrack[] }).keptTracks = tracks;
    return tracks.filter((track) => track.readyState === 'live').length;
  });

const liveKeptTracks = (page: Page): Promise<number> =>
  page.evaluate(() => (window as unknown as { keptTracks: MediaStreamTrack[] }).keptTracks.filter((track) => track.readyState === 'live').length);

describe('the demo page in Chromium', { timeout: 60_000 }, () => {
  it('a customer video-calls an agent: both see the other’s video, then one hang-up ends the call on both and stops the camera', async () => {
    const { agent, customer } = await agentAndCustomer(await start());
    await ask(customer, 'call-button');
    await customer.getByTestId('status').filter({ hasText: 'Ringing' }).waitFor();

    await agent.getByTestId('incoming').waitFor();
    expect(await agent.getByTestId('incoming-name').innerText()).toBe('Maria');
    expect(await agent.getByTestId('incoming-question').innerText()).toBe('My order #1234 has not arrived');
    await agent.getByTestId('accept').click();

    for (const page of [customer, agent]) {
      await remoteVideoPlays(page);
      const first = await framesDecoded(page);
      expect(first).toBeGreaterThanOrEqual(0);
      await risesAbove(() => framesDecoded(page), first);
      expect(await page.getByTestId('media-status').innerText()).toBe('Connected');
    }
    await customer.getByTestId('timer').filter({ hasText: /^00:0[1-9]$/ }).waitFor();
    expect(await keepLocalTracks(customer)).toBe(2);
    expect(await keepLocalTracks(agent)).toBe(2);

    for (const [page, name] of [[customer, 'customer'], [agent, 'agent']] as const) {
      await page.bringToFront();
      await risesAbove(() => framesDecoded(page), await framesDecoded(page));
      await page.screenshot({ path: join(resultsDir, `${name}-in-call.png`) });
    }

    // The camera can be turned off and on again during the call.
    await customer.getByTestId('mute-video').click();
    expect(await customer.getByTestId('mute-video').innerText()).toBe('Camera on');
    const videoEnabled = (): Promise<boolean | undefined> =>
      customer.evaluate(() => (window as unknown as DemoWindow).callgate.currentMedia?.localStream?.getVideoTracks()[0]?.enabled);
    expect(await videoEnabled()).toBe(false);
    await customer.getByTestId('mute-video').click();
    expect(await videoEnabled()).toBe(true);

    await customer.getByTestId('hangup').click();
    await customer.getByTestId('customer-form').waitFor();
    await agent.getByTestId('agent-home').waitFor();
    expect(await statusOf(customer)).toBe('You ended the call. Thank you for calling!');
    expect(await statusOf(agent)).toMatch(/^Maria ended the call\./);
    expect(await liveKeptTracks(customer)).toBe(0);
    expect(await liveKeptTracks(agent)).toBe(0);
    for (const page of [customer, agent]) {
      expect(await page.evaluate(() => (window as unknown as DemoWindow).callgate.currentMedia)).toBeNull();
    }
    // The agent's recent calls list the call with whom it was, what it was about and how long.
    const row = agent.locator('[data-testid="recent-calls"] [data-outcome="completed"]', { hasText: 'Maria' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/talked · \d+:\d\d/);
  });

  it('an ICE restart during the call renegotiates and the video goes on', async () => {
    const { agent, customer } = await agentAndCustomer(await start());
    await ask(customer, 'call-button');
    await agent.getByTestId('accept').click();
    await remoteVideoPlays(customer);
    await remoteVideoPlays(agent);
    const offers = (): Promise<number> =>
      agent.evaluate(() => (window as unknown as DemoWindow).receivedSignals.filter((signal) => signal.data.kind === 'offer').length);
    expect(await offers()).toBe(1);
    // The callee asks the caller to restart, as the SDK does after a resume or a failed path.
    await agent.evaluate(() => (window as unknown as { callgate: { currentMedia: { restartIce(): void } } }).callgate.currentMedia.restartIce());
    await risesAbove(offers, 1);
    const ufrags = await agent.evaluate(() =>
      (window as unknown as DemoWindow).receivedSignals
        .filter((signal) => signal.data.kind === 'offer')
        .map((signal) => /a=ice-ufrag:(\S+)/.exec(signal.data.sdp ?? '')?.[1]),
    );
    expect(ufrags[0]).toBeDefined();
    expect(ufrags[1]).not.toBe(ufrags[0]);
    await agent.getByTestId('media-status').filter({ hasText: 'Connected' }).waitFor();
    for (const page of [customer, agent]) await risesAbove(() => framesDecoded(page), await framesDecoded(page));
  });

  it('an agent refuses: the customer reads that the agent could not take the call', async () => {
    const { agent, customer } = await agentAndCustomer(await start());
    await ask(customer, 'call-button');
    await agent.getByTestId('refuse').click();
    await customer.getByTestId('status').filter({ hasText: 'could not take your call' }).waitFor();
    expect(await statusOf(customer)).toBe('Anna could not take your call right now.');
    expect(await statusOf(agent)).toMatch(/^You declined the call from Maria\./);
    expect(await customer.getByTestId('call').count()).toBe(0);
  });

  it('a voice call sends audio both ways and no video track from either side', async () => {
    const { agent, customer } = await agentAndCustomer(await start());
    await ask(customer, 'voice-call-button');
    await agent.getByTestId('accept').filter({ hasText: 'Accept voice call' }).click();
    for (const page of [customer, agent]) {
      await page.getByTestId('media-status').filter({ hasText: 'Connected' }).waitFor({ timeout: 20_000 });
      const first = await audioPacketsReceived(page);
      await risesAbove(() => audioPacketsReceived(page), Math.max(first, 0));
      const sent = await page.evaluate(() => {
        const media = (window as unknown as DemoWindow).callgate.currentMedia!;
        return {
          senderKinds: media.peerConnection
            .getSenders()
            .map((sender) => sender.track?.kind)
            .filter(Boolean),
          localVideo: media.localStream?.getVideoTracks().length ?? 0,
          remoteVideo: media.remoteStream.getVideoTracks().length,
          videoLines: media.peerConnection.getTransceivers().filter((t) => t.receiver.track.kind === 'video').length,
        };
      });
      expect(sent).toEqual({ senderKinds: ['audio'], localVideo: 0, remoteVideo: 0, videoLines: 0 });
      expect(await page.getByTestId('mute-video').isVisible()).toBe(false);
    }
    await agent.getByTestId('hangup').click();
    await customer.getByTestId('status').filter({ hasText: 'Anna ended the call' }).waitFor();
  });

  it('a third page cannot inject signaling into the call: the server refuses it and delivers nothing', async () => {
    const baseUrl = await start();
    const { agent, customer } = await agentAndCustomer(baseUrl);
    await ask(customer, 'call-button');
    await agent.getByTestId('accept').click();
    await remoteVideoPlays(customer);
    await remoteVideoPlays(agent);
    const roomId = await customer.evaluate(() => (window as unknown as DemoWindow).callgate.currentCall!.roomId);

    // Another customer's page sees the agent busy, and a call to the agent gets "busy".
    const intruder = await openCustomer(chromium.context, baseUrl, 'agent-anna', 'busy');
    pages.push(intruder);
    expect(await intruder.getByTestId('call-button').isDisabled()).toBe(true);
    await intruder.getByTestId('agent-agent-anna').click();
    await intruder.getByTestId('call-button').click();
    await intruder.getByTestId('status').filter({ hasText: 'busy' }).waitFor();
    expect(await statusOf(intruder)).toBe('Anna is busy with another customer. Please try again in a moment, or choose another agent.');

    // It then speaks the protocol itself, signed in as itself, and addresses the call's room.
    const answers = await intruder.evaluate(async (room) => {
      const login = await fetch('api/dev/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'intruder' }),
      });
      const { token } = (await login.json()) as { token: string };
      const socket = new WebSocket(`ws://${location.host}/ws`);
      const received: { type: string; code?: number }[] = [];
      socket.onmessage = (event) => received.push(JSON.parse(String(event.data)) as { type: string; code?: number });
      await new Promise((resolve) => (socket.onopen = resolve));
      socket.send(JSON.stringify({ type: 'auth', token }));
      const sdp = 'v=0\r\no=- 666 2 IN IP4 127.0.0.1\r\ns=injected\r\n';
      socket.send(JSON.stringify({ type: 'signal', roomId: room, data: { kind: 'offer', sdp } }));
      socket.send(JSON.stringify({ type: 'signal', roomId: room, data: { kind: 'answer', sdp } }));
      socket.send(JSON.stringify({ type: 'signal', roomId: room, data: { kind: 'restart' } }));
      await new Promise((resolve) => setTimeout(resolve, 500));
      socket.close();
      return received;
    }, roomId);
    expect(answers.map((message) => message.type)).toEqual(['welcome', 'error', 'error', 'error']);
    expect(answers.slice(1).every((message) => message.code === ErrorCode.NOT_IN_ROOM)).toBe(true);

    for (const page of [customer, agent]) {
      const signals = await page.evaluate(() => (window as unknown as DemoWindow).receivedSignals);
      expect(signals.length).toBeGreaterThan(0);
      expect(signals.every((signal) => signal.roomId === roomId && ['agent-anna', 'customer'].some((p) => signal.from.startsWith(p)))).toBe(true);
      expect(signals.some((signal) => signal.from === 'intruder' || signal.data.sdp?.includes('injected'))).toBe(false);
      // The call goes on untouched.
      await risesAbove(() => framesDecoded(page), await framesDecoded(page));
    }
  });

  it('a customer reads "did not answer in time" and "not online" in plain words', async () => {
    const baseUrl = await start({ ringTimeoutMs: 4000, graceMs: 300 });
    const { agent, customer } = await agentAndCustomer(baseUrl);
    await ask(customer, 'call-button');
    await agent.getByTestId('incoming').waitFor();
    await customer.getByTestId('status').filter({ hasText: 'did not answer in time' }).waitFor({ timeout: 10_000 });
    expect(await statusOf(customer)).toBe('Anna did not answer in time. Please try again.');
    await agent.getByTestId('status').filter({ hasText: 'You missed a call from Maria' }).waitFor();
    // The agent's page lists it under missed calls, from the call history API.
    await agent.locator('[data-testid="missed-calls"] [data-outcome="timeout"]', { hasText: 'Maria' }).waitFor();
    expect(await agent.getByTestId('recent-calls').textContent()).toContain('not answered in time');

    await agent.close();
    await customer.locator('[data-testid="agent-agent-anna"][data-status="offline"]').waitFor({ timeout: 10_000 });
    await customer.getByTestId('call-button').click();
    await customer.getByTestId('status').filter({ hasText: 'not online' }).waitFor();
    expect(await statusOf(customer)).toBe('Anna is not online right now. Please choose another agent.');
  });
});
