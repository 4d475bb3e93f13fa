import { afterEach, describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookHeader, businessEventSchema } from '@callgate/business';
import { VideoCallEvent } from '@callgate/client';
import type { RunningServer } from '@callgate/server';
import { startTestServer } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';
import { WebhookReceiver, type ReceivedHook } from '../support/webhook-receiver.js';

const { REQUEST, REPLY, START, FINISH } = VideoCallEvent;
const WEBHOOK_SECRET = 'webhook-secret-for-tests';

let server: RunningServer | undefined;
let receiver: WebhookReceiver | undefined;
const opened: TestUser[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((u) => u.close()));
  await server?.close();
  await receiver?.close();
  server = receiver = undefined;
});

async function hooksOfAWholeCall(): Promise<ReceivedHook[]> {
  receiver = await new WebhookReceiver().start();
  server = await startTestServer({ webhook: { url: receiver.url, secret: WEBHOOK_SECRET } });
  const alice = await TestUser.connect(server, 'alice');
  const bob = await TestUser.connect(server, 'bob');
  opened.push(alice, bob);
  alice.client.videoCallControl(REQUEST, 'bob', 0, 1, 5, 'née → 東京');
  await bob.events.next('REQUEST');
  bob.client.videoCallControl(REPLY, 'alice', 0);
  await bob.events.next('START');
  alice.client.videoCallControl(FINISH, 'bob', 0);
  await bob.events.next('FINISH');
  const hooks: ReceivedHook[] = [];
  for (let i = 0; i < 4; i++) hooks.push(await receiver.hooks.next(`webhook ${i + 1}`));
  return hooks;
}

describe('webhooks: signed call events', () => {
  it('POSTs every call event as JSON with its id, a timestamp and a valid signature', async () => {
    const hooks = await hooksOfAWholeCall();
    expect(hooks.map((h) => h.event.event)).toEqual([REQUEST, REPLY, START, FINISH]);
    for (const hook of hooks) {
      expect(hook.headers['content-type']).toBe('application/json');
      expect(hook.headers[WebhookHeader.EVENT_ID]).toBe(hook.event.id);
      expect(hook.headers[WebhookHeader.SIGNATURE]).toMatch(/^v1=[0-9a-f]{64}$/);
      expect(businessEventSchema.safeParse(hook.event).success).toBe(true);
      expect(verifyWebhook(hook.body, hook.headers, WEBHOOK_SECRET)).toBe(true);
      expect(verifyWebhook(hook.body.toString('utf8'), hook.headers, WEBHOOK_SECRET), 'as a string').toBe(true);
    }
    expect(hooks[0]!.event).toMatchObject({ srcUserId: 'alice', tarUserId: 'bob', flags: 1, param: 5, userStr: 'née → 東京', decide: false });
    expect(new Set(hooks.map((h) => h.event.id)).size).toBe(4);
    expect(new Set(hooks.map((h) => h.event.callId)).size).toBe(1);
  });

  it('a tampered body, another secret, a stale or future timestamp or a missing header fails verification', async () => {
    const [hook] = await hooksOfAWholeCall();
    const { body, headers } = hook!;
    const tampered = Buffer.from(body.toString('utf8').replace('"errorCode":0', '"errorCode":1'));
    expect(tampered.equals(body)).toBe(false);
    expect(verifyWebhook(tampered, headers, WEBHOOK_SECRET)).toBe(false);
    expect(verifyWebhook(body, headers, 'another-secret')).toBe(false);
    const signedAt = Number(headers[WebhookHeader.TIMESTAMP]) * 1000;
    expect(verifyWebhook(body, headers, WEBHOOK_SECRET, { now: signedAt + 6 * 60_000 })).toBe(false);
    expect(verifyWebhook(body, headers, WEBHOOK_SECRET, { now: signedAt - 6 * 60_000 })).toBe(false);
    expect(verifyWebhook(body, headers, WEBHOOK_SECRET, { now: signedAt + 6 * 60_000, toleranceSeconds: 600 })).toBe(true);
    const withoutSignature = { ...headers, [WebhookHeader.SIGNATURE]: undefined };
    expect(verifyWebhook(body, withoutSignature, WEBHOOK_SECRET)).toBe(false);
    const otherTime = { ...headers, [WebhookHeader.TIMESTAMP]: String(Number(headers[WebhookHeader.TIMESTAMP]) + 1) };
    expect(verifyWebhook(body, otherTime, WEBHOOK_SECRET), 'the timestamp is signed too').toBe(false);
  });

  it('takes fetch Headers and any header case, as frameworks hand them over', async () => {
    const [hook] = await hooksOfAWholeCall();
    const fetchHeaders = new Headers();
    const shouting: Record<string, string> = {};
    for (const [name, value] of Object.entries(hook!.headers)) {
      if (typeof value !== 'string') continue;
      fetchHeaders.set(name, value);
      shouting[name.toUpperCase()] = value;
    }
    expect(verifyWebhook(hook!.body, fetchHeaders, WEBHOOK_SECRET)).toBe(true);
    expect(verifyWebhook(hook!.body, shouting, WEBHOOK_SECRET)).toBe(true);
  });
});
