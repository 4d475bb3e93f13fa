import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@callgate/protocol';
import type { ServerOptions } from '@callgate/server';
import { askFor, audioPacketsReceived, framesDecoded, openAgent, openCustomer, pagesPerTest, remoteVideoPlays, risesAbove, type DemoWindow } from '../support/demo-pages.js';

/** The media of a queue call on the pages: video, voice, ICE restart, refused injection; and the outcomes in words. */

const ADMIN_KEY = 'video-call-admin-key-0123456789';
const billing = { id: 'billing', name: 'Billing and payments', offerTimeout: 20, wrapUp: 2 };

const suite = pagesPerTest('video-call');
const pages = suite.pages;

async function start(options: Partial<ServerOptions> = {}): Promise<string> {
  return suite.start({ adminKey: ADMIN_KEY, queues: [billing], ...options });
}

/** Anna (available) and Maria, who asks about billing; with `accept`, Anna takes the call. */
async function call(baseUrl: string, media: 'video' | 'voice' = 'video', accept = true): Promise<{ agent: Page; customer: Page }> {
  const agent = await openAgent(suite.context, baseUrl, 'Anna');
  const customer = await openCustomer(suite.context, baseUrl);
  pages.push(agent, customer);
  await askFor(customer, 'Maria', 'Billing and payments', 'My order #1234 has not arrived', media);
  if (accept) await agent.getByRole('button', { name: 'Accept' }).click();
  return { agent, customer };
}

/** The live tracks of the page's camera and microphone, kept on window so they can be checked after the call. */
const keepLocalTracks = (page: Page): Promise<number> =>
  page.evaluate(() => {
    const tracks = (window as unknown as DemoWindow).callgate.currentMedia?.localStream?.getTracks() ?? [];
    (window as unknown as { keptTracks: MediaStreamTrack[] }).keptTracks = tracks;
    return tracks.filter((track) => track.readyState === 'live').length;
  });

const liveKeptTracks = (page: Page): Promise<number> =>
  page.evaluate(() => (window as unknown as { keptTracks: MediaStreamTrack[] }).keptTracks.filter((track) => track.readyState === 'live').length);

describe('queue calls on the pages in Chromium', { timeout: 60_000 }, () => {
  it('video both ways; the camera turns off and on; one hang-up ends the call on both and stops every camera', async () => {
    const { agent, customer } = await call(await start());
    for (const page of [customer, agent]) {
      await remoteVideoPlays(page);
      await risesAbove(() => framesDecoded(page), await framesDecoded(page));
      await page.getByTestId('media-status').filter({ hasText: 'Connected' }).waitFor();
    }
    expect(await keepLocalTracks(customer)).toBe(2);
    expect(await keepLocalTracks(agent)).toBe(2);
    await customer.getByRole('button', { name: 'Camera off' }).click();
    const videoEnabled = (): Promise<boolean | undefined> =>
      customer.evaluate(() => (window as unknown as DemoWindow).callgate.currentMedia?.localStream?.getVideoTracks()[0]?.enabled);
    expect(await videoEnabled()).toBe(false);
    await customer.getByRole('button', { name: 'Camera on' }).click();
    expect(await videoEnabled()).toBe(true);

    await customer.getByRole('button', { name: 'Hang up' }).click();
    await customer.getByRole('form', { name: 'Rate your call' }).waitFor();
    await agent.getByTestId('status').filter({ hasText: 'The call with Maria is over.' }).waitFor();
    expect(await liveKeptTracks(customer)).toBe(0);
    expect(await liveKeptTracks(agent)).toBe(0);
    for (const page of [customer, agent]) expect(await page.evaluate(() => (window as unknown as DemoWindow).callgate.currentMedia)).toBeNull();
  });

  it('an ICE restart during the call renegotiates and the video goes on', async () => {
    const { agent, customer } = await call(await start());
    await remoteVideoPlays(customer);
    await remoteVideoPlays(agent);
    const offers = (): Promise<number> =>
      agent.evaluate(() => (window as unknown as DemoWindow).receivedSignals.filter((signal) => signal.data.kind === 'offer').length);
    expect(await offers()).toBe(1);
    await agent.evaluate(() => (window as unknown as { callgate: { currentMedia: { restartIce(): void } } }).callgate.currentMedia.restartIce());
    await risesAbove(offers, 1);
    const ufrags = await agent.evaluate(() =>
      (window as unknown as DemoWindow).receivedSignals.filter((signal) => signal.data.kind === 'offer').map((signal) => /a=ice-ufrag:(\S+)/.exec(signal.data.sdp ?? '')?.[1]),
    );
    expect(ufrags[1]).not.toBe(ufrags[0]);
    await agent.getByTestId('media-status').filter({ hasText: 'Connected' }).waitFor();
    for (const page of [customer, agent]) await risesAbove(() => framesDecoded(page), await framesDecoded(page));
  });

  it('a voice call: audio both ways, no video track, and the initials instead of a black picture', async () => {
    const { agent, customer } = await call(await start(), 'voice');
    for (const page of [customer, agent]) {
      await page.getByTestId('media-status').filter({ hasText: 'Connected' }).waitFor({ timeout: 20_000 });
      await risesAbove(() => audioPacketsReceived(page), Math.max(await audioPacketsReceived(page), 0));
      const sent = await page.evaluate(() => {
        const media = (window as unknown as DemoWindow).callgate.currentMedia!;
        return { localVideo: media.localStream?.getVideoTracks().length ?? 0, remoteVideo: media.remoteStream.getVideoTracks().length };
      });
      expect(sent).toEqual({ localVideo: 0, remoteVideo: 0 });
      expect(await page.getByRole('button', { name: 'Camera off' }).count()).toBe(0);
      expect(await page.getByTestId('remote-tile').getAttribute('class')).toContain('no-video');
    }
    expect(await customer.getByTestId('remote-tile').locator('.avatar').innerText()).toBe('A');
  });

  it('declined and unanswered offers: the customer keeps its place, the agent reads what happened and sees the missed offer', async () => {
    const baseUrl = await start({ queues: [{ ...billing, offerTimeout: 3 }] });
    const { agent, customer } = await call(baseUrl, 'video', false);
    await agent.getByRole('button', { name: 'Decline' }).click();
    await agent.getByTestId('status').filter({ hasText: 'You declined Maria' }).waitFor();
    await customer.getByTestId('position').filter({ hasText: 'You are next in line' }).waitFor();
    // Declined once, Maria is not offered to Anna again; a new customer is, and Anna lets it ring out.
    const tom = await openCustomer(suite.context, baseUrl);
    pages.push(tom);
    await askFor(tom, 'Tom', 'Billing and payments', 'Hello?');
    await agent.getByRole('alertdialog', { name: 'Incoming call from Tom' }).waitFor();
    await agent.getByTestId('status').filter({ hasText: 'You missed Tom' }).waitFor({ timeout: 10_000 });
    await agent.getByTestId('agent-status').filter({ hasText: 'Away (an offer was not answered)' }).waitFor();
    await agent.getByTestId('missed-calls').getByText('Missed: not answered in time').waitFor();
    await agent.getByTestId('recent-calls').getByText('You declined').waitFor();
  });

  it('every outcome in words: nobody in time, the topic closed, and leaving', async () => {
    const baseUrl = await start({ queues: [{ ...billing, maxWait: 2 }, { id: 'tech', name: 'Technical support' }] });
    const customer = await openCustomer(suite.context, baseUrl);
    pages.push(customer);
    await askFor(customer, 'Maria', 'Billing and payments', 'Anyone?');
    await customer.getByTestId('status').filter({ hasText: 'Sorry: nobody could take your call in time' }).waitFor({ timeout: 10_000 });
    await askFor(customer, 'Maria', 'Technical support', 'Anyone?');
    const closed = await fetch(`${baseUrl}/api/queues/tech`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(closed.status).toBe(200);
    await customer.getByTestId('status').filter({ hasText: 'Technical support is closed right now' }).waitFor();
    await customer.reload();
    // The reloaded page resumes the session with a new SDK instance: its request ids must not be taken for the old one's.
    await askFor(customer, 'Maria', 'Billing and payments', 'Anyone?');
    await customer.getByRole('button', { name: 'Leave the line' }).click();
    await customer.getByTestId('status').filter({ hasText: 'You left the line.' }).waitFor();
  });

  it('a manual topic: the agent takes the next customer with "Next customer", and hears when nobody waits', async () => {
    const baseUrl = await start({ queues: [{ id: 'orders', name: 'Orders and returns', mode: 'manual', wrapUp: 2 }] });
    const agent = await openAgent(suite.context, baseUrl, 'Anna');
    const customer = await openCustomer(suite.context, baseUrl);
    pages.push(agent, customer);
    await agent.getByRole('button', { name: 'Next customer (Orders and returns)' }).click();
    await agent.getByTestId('status').filter({ hasText: 'Nobody is waiting right now.' }).waitFor();
    await askFor(customer, 'Maria', 'Orders and returns', 'I want to return a parcel');
    await customer.getByTestId('position').filter({ hasText: 'You are next in line' }).waitFor();
    await agent.getByRole('button', { name: 'Next customer (Orders and returns)' }).click();
    await agent.getByRole('region', { name: 'Call with Maria' }).waitFor();
    expect(await agent.getByTestId('call-question').innerText()).toBe('I want to return a parcel');
    await Promise.all([remoteVideoPlays(agent), remoteVideoPlays(customer)]);
    // Signing out leaves for good: the call ends for the customer, the tab shows the sign-in again.
    await agent.getByRole('button', { name: 'Sign out' }).click();
    await agent.getByRole('form', { name: 'Agent sign-in' }).waitFor();
    await customer.getByRole('form', { name: 'Rate your call' }).waitFor();
  });

  it('a third party cannot inject signaling into the call: the server refuses it and delivers nothing', async () => {
    const baseUrl = await start();
    const { agent, customer } = await call(baseUrl);
    await remoteVideoPlays(customer);
    await remoteVideoPlays(agent);
    const roomId = await customer.evaluate(() => (window as unknown as DemoWindow).callgate.currentCall!.roomId);
    const intruder = await suite.context.newPage();
    pages.push(intruder);
    await intruder.goto(`${baseUrl}/`);
    const answers = await intruder.evaluate(async (room) => {
      const login = await fetch('api/dev/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'intruder' }) });
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
      expect(signals.some((signal) => signal.from === 'intruder' || signal.data.sdp?.includes('injected'))).toBe(false);
      await risesAbove(() => framesDecoded(page), await framesDecoded(page));
    }
  });
});
