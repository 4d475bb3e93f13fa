/**
 * docs/business.md's push hook, as a user runs it: `callgate serve --business-secret …`, then
 * examples/push-hook.mjs beside it; a call to bob, whose app is closed, wakes him through the stub
 * APNs sender, rings once his device connects, and a cancelled wait withdraws the notification.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type CallClient } from '@callgate/client';
import { killChildren, serveCallgate, startNode } from '../support/callgate-process.js';

const clients: CallClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await killChildren();
});

describe('the push hook example', () => {
  it('wakes bob through APNs VoIP; the call rings when his app connects; a cancelled wait is withdrawn', async () => {
    const secret = 'example-secret-0123456789';
    const businessSecret = 'example-business-secret-0123';
    const server = await serveCallgate(['--secret', secret, '--business-secret', businessSecret, '--offline-wait', '20']);
    const hook = startNode(['examples/push-hook.mjs'], { env: { CALLGATE_URL: server.url, CALLGATE_BUSINESS_SECRET: businessSecret } });
    await hook.waitFor(/push hook connected/, 'the hook to connect');

    const alice = await server.client('alice');
    clients.push(alice);
    const outgoing = alice.call('bob', { flags: 3, userStr: 'your order' });
    const waking = await new Promise<{ pushed: boolean }>((resolve) => outgoing.once('waking', resolve));
    expect(waking.pushed).toBe(true);
    const [, token, payload] = (await hook.waitFor(/APNs VoIP → (\S+): (\{.*"kind":"incoming-call".*\})/, 'the wake push'))!;
    expect(token).toBe('<bob-voip-token>');
    expect(JSON.parse(payload!)).toMatchObject({ kind: 'incoming-call', caller: 'alice', video: true, note: 'your order', callId: expect.any(String) });

    const ringing = new Promise<void>((resolve) => outgoing.once('ringing', () => resolve()));
    const bob = await server.client('bob');
    clients.push(bob);
    await ringing;
    await outgoing.hangup();

    // carol is on FCM; alice gives up before carol's app comes: the notification is withdrawn.
    const second = alice.call('carol');
    await new Promise((resolve) => second.once('waking', resolve));
    await hook.waitFor(/FCM → <carol-fcm-token>: .*"incoming-call"/, 'the wake push to carol');
    const ended = new Promise<number>((resolve) => second.once('ended', (code) => resolve(code)));
    await second.hangup();
    expect(await ended).toBe(ErrorCode.CANCEL);
    await hook.waitFor(/FCM → <carol-fcm-token>: .*"call-cancelled"/, 'the withdrawal');
  }, 60_000);
});
