import { afterEach, describe, expect, it } from 'vitest';
import { verifyWebhook } from '@callgate/business';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import type { RunningServer, WebhookOptions } from '@callgate/server';
import { sleep, startTestServer } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';
import { WebhookReceiver, type ReceivedHook } from '../support/webhook-receiver.js';

const { REQUEST, REPLY, START, FINISH } = VideoCallEvent;
const WEBHOOK_SECRET = 'webhook-secret-for-tests';

let server: RunningServer | undefined;
let receiver: WebhookReceiver | undefined;
const opened: TestUser[] = [];

async function setup(
  webhook: Partial<WebhookOptions> = {},
  options: { businessTimeoutMs?: number; businessFailOpen?: boolean } = {},
): Promise<{ alice: TestUser; bob: TestUser; hooks: WebhookReceiver }> {
  receiver = await new WebhookReceiver().start();
  server = await startTestServer({ webhook: { url: receiver.url, secret: WEBHOOK_SECRET, ...webhook }, ...options });
  const alice = await TestUser.connect(server, 'alice');
  const bob = await TestUser.connect(server, 'bob');
  opened.push(alice, bob);
  return { alice, bob, hooks: receiver };
}

const eventOf = (hook: ReceivedHook): number => hook.event.event as number;

afterEach(async () => {
  await Promise.all(opened.splice(0).map((u) => u.close()));
  await server?.close();
  await receiver?.close();
  server = receiver = undefined;
});

describe('webhook veto', () => {
  it('a REQUEST waits for the webhook; { "errorCode": N } refuses the call with N', async () => {
    const { alice, bob, hooks } = await setup({ veto: true });
    hooks.answer = (hook) => (eventOf(hook) === REQUEST ? { status: 200, body: JSON.stringify({ errorCode: 7004 }) } : { status: 204 });
    alice.client.videoCallControl(REQUEST, 'bob');
    const asked = await hooks.hooks.next('REQUEST');
    expect(asked.event).toMatchObject({ event: REQUEST, srcUserId: 'alice', tarUserId: 'bob', decide: true });
    expect(verifyWebhook(asked.body, asked.headers, WEBHOOK_SECRET)).toBe(true);
    expect(await alice.events.next('REPLY 7004')).toMatchObject({ event: REPLY, userId: 'bob', errorCode: 7004 });
    expect(await bob.events.drain(300)).toEqual([]);
    expect((await hooks.hooks.next('the refusal')).event).toMatchObject({ event: REPLY, srcUserId: 'bob', errorCode: 7004 });
  });

  it('{ "errorCode": 0 }, {} or an empty 2xx body let the call ring', async () => {
    const { alice, bob, hooks } = await setup({ veto: true });
    for (const body of [JSON.stringify({ errorCode: 0 }), '{}', '']) {
      hooks.answer = () => ({ status: 200, body });
      alice.client.videoCallControl(REQUEST, 'bob');
      expect(await bob.events.next(`REQUEST after ${JSON.stringify(body)}`)).toMatchObject({ event: REQUEST, userId: 'alice' });
      expect(await alice.events.next('REPLY 0')).toMatchObject({ errorCode: 0 });
      alice.client.videoCallControl(FINISH, 'bob');
      await bob.events.next('FINISH');
      await alice.events.next('FINISH');
    }
  });

  it('an error status, a malformed answer or no answer in time refuse with BUSINESS_UNAVAILABLE', async () => {
    const { alice, bob, hooks } = await setup({ veto: true }, { businessTimeoutMs: 400 });
    const answers = [
      () => ({ status: 500 }),
      () => ({ status: 200, body: '{"errorCode":"no"}' }),
      () => new Promise<{ status: number }>((resolve) => setTimeout(() => resolve({ status: 200 }), 1500)),
    ];
    for (const answer of answers) {
      hooks.answer = (hook) => (eventOf(hook) === REQUEST ? answer() : { status: 204 });
      alice.client.videoCallControl(REQUEST, 'bob');
      expect(await alice.events.next('REPLY BUSINESS_UNAVAILABLE')).toMatchObject({ event: REPLY, errorCode: ErrorCode.BUSINESS_UNAVAILABLE });
    }
    expect(await bob.events.drain(200)).toEqual([]);
  });

  it('fails open when told to', async () => {
    const { alice, bob, hooks } = await setup({ veto: true }, { businessFailOpen: true });
    hooks.answer = () => ({ status: 503 });
    alice.client.videoCallControl(REQUEST, 'bob');
    expect(await bob.events.next('REQUEST')).toMatchObject({ event: REQUEST, userId: 'alice' });
  });

  it('without --webhook-veto a REQUEST is a notification and the call rings at once', async () => {
    const { alice, bob, hooks } = await setup();
    hooks.answer = () => new Promise(() => {});
    alice.client.videoCallControl(REQUEST, 'bob');
    expect(await bob.events.next('REQUEST')).toMatchObject({ event: REQUEST, userId: 'alice' });
    expect((await hooks.hooks.next('REQUEST')).event).toMatchObject({ event: REQUEST, decide: false });
  });
});

describe('webhook delivery', () => {
  it('retries a notification after a 500 with the same event id, and keeps the call’s events in order', async () => {
    const { alice, bob, hooks } = await setup({ retryDelayMs: 200 });
    let failures = 0;
    hooks.answer = (hook) => (eventOf(hook) === REQUEST && failures++ === 0 ? { status: 500 } : { status: 204 });
    alice.client.videoCallControl(REQUEST, 'bob');
    await bob.events.next('REQUEST');
    bob.client.videoCallControl(REPLY, 'alice', 0);
    await bob.events.next('START');
    alice.client.videoCallControl(FINISH, 'bob');
    await bob.events.next('FINISH');
    const received: ReceivedHook[] = [];
    for (let i = 0; i < 5; i++) received.push(await hooks.hooks.next(`delivery ${i + 1}`));
    expect(received.map(eventOf)).toEqual([REQUEST, REQUEST, REPLY, START, FINISH]);
    expect(received[1]!.event.id).toBe(received[0]!.event.id);
    expect(received.every((hook) => verifyWebhook(hook.body, hook.headers, WEBHOOK_SECRET))).toBe(true);
    expect(await hooks.hooks.drain(300)).toEqual([]);
  });

  it('retries a receiver that is down, with growing delays, for a bounded time, then moves on', async () => {
    const { alice, bob, hooks } = await setup({ retryDelayMs: 100, retryForMs: 1000 });
    const attempts: number[] = [];
    hooks.answer = (hook) => {
      if (eventOf(hook) !== REQUEST) return { status: 204 };
      attempts.push(Date.now());
      return { status: 503 };
    };
    alice.client.videoCallControl(REQUEST, 'bob');
    await bob.events.next('REQUEST');
    let next = await hooks.hooks.next('deliveries', 5000);
    while (eventOf(next) === REQUEST) next = await hooks.hooks.next('deliveries', 5000);
    expect(eventOf(next), 'the call’s next event once the REQUEST was given up').toBe(REPLY);
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!);
    gaps.slice(0, 2).forEach((gap, i) => expect(gap, `wait before retry ${i + 1}`).toBeGreaterThanOrEqual(100 * 2 ** i - 5));
    await sleep(500);
    expect(hooks.all.filter((hook) => eventOf(hook) === REQUEST)).toHaveLength(attempts.length);
  });
});
