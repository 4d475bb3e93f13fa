/**
 * The contact centre in webhooks, to a real HTTP receiver over real servers (memory, Redis,
 * three nodes): every entry step POSTed signed with `type: "queue-event"` (call events keep
 * their body without `type`), and in veto mode the decision on each entry (`type: "queue-entry"`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { verifyWebhook } from '@callgate/business';
import { ErrorCode } from '@callgate/client';
import type { WebhookOptions } from '@callgate/server';
import { incomingCalls, stepsOf, until } from '../support/calls.js';
import { connectAgent, setAvailable } from '../support/queue-users.js';
import { startTestServer, waitUntil, type TestServer } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';
import { WebhookReceiver, type ReceivedHook } from '../support/webhook-receiver.js';

const WEBHOOK_SECRET = 'webhook-secret-for-tests';

let server: TestServer | undefined;
let receiver: WebhookReceiver | undefined;
const opened: TestUser[] = [];

async function setup(webhook: Partial<WebhookOptions> = {}): Promise<WebhookReceiver> {
  receiver = await new WebhookReceiver().start();
  server = await startTestServer({
    queues: [{ id: 'billing', name: 'Billing', wrapUp: 0 }],
    webhook: { url: receiver.url, secret: WEBHOOK_SECRET, ...webhook },
  });
  return receiver;
}

async function user(userId: string): Promise<TestUser> {
  const connected = await TestUser.connect(server!, userId);
  opened.push(connected);
  return connected;
}

const ofType = (hooks: ReceivedHook[], type: string): ReceivedHook[] => hooks.filter((hook) => hook.event.type === type);

afterEach(async () => {
  await Promise.all(opened.splice(0).map((u) => u.close()));
  await server?.close();
  await receiver?.close();
  server = receiver = undefined;
});

describe('queue entries in webhooks', () => {
  it('POSTs every step of an entry, signed, in order, told apart from call events by "type"', async () => {
    const hooks = await setup();
    const anna = await connectAgent(server!, 'anna', ['billing'], { available: true });
    opened.push(anna);
    const offers = incomingCalls(anna);
    const customer = await user('cust-1');
    const entry = await customer.client.enterQueue('billing', { userStr: 'order #1234' });
    const offer = await offers.next('the offer', 8000);
    const steps = stepsOf(offer);
    await offer.accept();
    await until(steps, 'started');
    await offer.hangup();
    await waitUntil('the served step posted', () => ofType(hooks.all, 'queue-event').some((h) => h.event.step === 'served'), 8000);

    const queueHooks = ofType(hooks.all, 'queue-event').filter((h) => h.event.entryId === entry.id);
    expect(queueHooks.map((h) => h.event.step)).toEqual(['entered', 'offered', 'answered', 'served']);
    for (const hook of queueHooks) {
      expect(verifyWebhook(hook.body, hook.headers, WEBHOOK_SECRET)).toBe(true);
      expect(hook.headers['callgate-event-id']).toBe(hook.event.id);
    }
    expect(queueHooks[0]!.event).toMatchObject({ type: 'queue-event', step: 'entered', queue: 'billing', customer: 'cust-1', userStr: 'order #1234' });
    expect(queueHooks[3]!.event).toMatchObject({ step: 'served', agent: 'anna', callId: offer.callId });
    const callHooks = hooks.all.filter((h) => h.event.type === undefined);
    expect(callHooks.length).toBeGreaterThanOrEqual(3);
    expect(callHooks.every((h) => typeof h.event.event === 'number' && h.event.callId === offer.callId)).toBe(true);
  });

  it('veto mode decides each entry: { errorCode } refuses, { priority } lets in at that priority, a bad answer is BUSINESS_UNAVAILABLE', async () => {
    const hooks = await setup({ veto: true });
    const anna = await connectAgent(server!, 'anna', ['billing']);
    opened.push(anna);
    const offers = incomingCalls(anna);
    const [early, vip, refused, broken] = [await user('cust-early'), await user('cust-vip'), await user('cust-no'), await user('cust-bad')];
    hooks.answer = (hook) => {
      if (hook.event.type !== 'queue-entry') return { status: 204 };
      const answers: Record<string, object | string> = { 'cust-no': { errorCode: 600777 }, 'cust-vip': { priority: 80 }, 'cust-bad': 'not json' };
      const answer = answers[String(hook.event.customer)] ?? {};
      return { status: 200, body: typeof answer === 'string' ? answer : JSON.stringify(answer) };
    };
    await expect(refused.client.enterQueue('billing')).rejects.toMatchObject({ code: 600777 });
    await expect(broken.client.enterQueue('billing')).rejects.toMatchObject({ code: ErrorCode.BUSINESS_UNAVAILABLE });
    const earlyEntry = await early.client.enterQueue('billing');
    const vipEntry = await vip.client.enterQueue('billing');
    const asked = ofType(hooks.all, 'queue-entry');
    expect(asked.map((h) => h.event.customer)).toEqual(['cust-no', 'cust-bad', 'cust-early', 'cust-vip']);
    expect(asked[0]!.event).toMatchObject({ type: 'queue-entry', queue: 'billing', flags: 0, param: 0, userStr: '' });
    expect(asked.every((h) => verifyWebhook(h.body, h.headers, WEBHOOK_SECRET))).toBe(true);

    await waitUntil('the vip ahead', () => vipEntry.position === 1 && earlyEntry.position === 2, 8000);
    await setAvailable(anna);
    expect((await offers.next('the first offer', 8000)).peer).toBe('cust-vip');
  });
});
