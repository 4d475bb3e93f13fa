import { afterEach, describe, expect, it } from 'vitest';
import { BusinessClient, verifyWebhook } from '@callgate/business';
import { CallClient, ErrorCode, VideoCallEvent } from '@callgate/client';
import { createAccessToken } from '@callgate/server';
import { killChildren, runCallgate, runNode, serveCallgate, startNode } from '../support/callgate-process.js';
import { EventQueue } from '../support/event-queue.js';
import { expectedTwoClientsOutput, fencedBlock } from '../support/readme.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const receivers: WebhookReceiver[] = [];
const clients: { close(): void }[] = [];

afterEach(async () => {
  clients.splice(0).forEach((client) => client.close());
  await killChildren();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const token = async (user: string, secret: string): Promise<string> => (await runCallgate(['token', '--user', user, '--secret', secret])).output.trim();

describe('the business server example (docs/business.md) against `callgate serve`', () => {
  it('refuses calls to users marked "do not disturb" and hangs up calls longer than the limit', async () => {
    const server = await serveCallgate(['--secret', 'doc-secret-0123456789', '--business-secret', 'doc-business-secret']);
    const example = startNode(['examples/business-server.mjs'], {
      env: { CALLGATE_URL: server.url, CALLGATE_BUSINESS_SECRET: 'doc-business-secret', DO_NOT_DISTURB: 'carol', MAX_CALL_SECONDS: '0.1' },
    });
    await example.waitFor(/business server connected/, 'the example to connect');

    const refused = await runNode(['examples/two-clients.mjs', await token('alice', 'doc-secret-0123456789'), await token('carol', 'doc-secret-0123456789'), server.url]);
    expect(refused.code).toBe(0);
    expect(refused.stdout, 'carol never rang').toBe(fencedBlock('docs/business.md', 'The first call is refused before'));
    await example.waitFor(/refused: carol does not want to be disturbed/, 'the example to log the refusal');

    const limited = await runNode(['examples/two-clients.mjs', await token('alice', 'doc-secret-0123456789'), await token('bob', 'doc-secret-0123456789'), server.url]);
    expect(limited.code).toBe(0);
    expect(limited.stdout).toBe(expectedTwoClientsOutput(limited.stdout, 'docs/business.md', 'The second one starts and is ended by the business server'));
    await example.waitFor(/hung up alice and bob after 0\.1 s \(result 0\)/, 'the example to log the hang-up');
  });

  it('the example says what is missing without a business secret', async () => {
    const result = await runNode(['examples/business-server.mjs']);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/CALLGATE_BUSINESS_SECRET/);
  });
});

describe('callgate serve: business and webhook options', () => {
  it('lists them in --help', async () => {
    const help = (await runCallgate(['serve', '--help'])).output;
    for (const option of ['--business-secret <secret>', '--business-timeout <seconds>', '--business-fail-open', '--webhook-url <url>', '--webhook-secret <secret>', '--webhook-veto']) {
      expect(help).toContain(option);
    }
    expect(help).toContain('CALLGATE_BUSINESS_SECRET');
  });

  it('--dev generates a business secret, prints it, and a business server connects with it', async () => {
    const server = await serveCallgate(['--dev']);
    const [, secret] = /generated business secret (\S+)/.exec(server.output()) ?? [];
    expect(secret).toBeTruthy();
    const business = new BusinessClient({ url: server.url, secret: secret! });
    clients.push(business);
    await business.connect();
    expect(await business.getUserState('alice')).toEqual({ userId: 'alice', state: 'offline' });
  });

  it('refuses bad combinations with a clear message', async () => {
    const cases: [string[], RegExp][] = [
      [['--secret', 'cli-secret-0123456', '--webhook-url', 'http://127.0.0.1:9/hooks'], /--webhook-url needs --webhook-secret/],
      [['--secret', 'cli-secret-0123456', '--webhook-veto'], /need --webhook-url/],
      [['--secret', 'cli-secret-0123456', '--webhook-url', 'ftp://x', '--webhook-secret', 'webhook-secret-0123456'], /http:\/\/ or https:\/\//],
      [['--secret', 'same-secret-0123456', '--business-secret', 'same-secret-0123456'], /must differ from the token secret/],
      [['--secret', 'cli-secret-0123456', '--business-timeout', 'soon'], /expected a number/],
    ];
    // Each case starts a `callgate` process: at once, so that a loaded machine's start-up is paid once.
    const results = await Promise.all(cases.map(([args]) => runCallgate(['serve', '--port', '0', ...args])));
    cases.forEach(([args, message], i) => {
      expect(results[i]!.code, args.join(' ')).not.toBe(0);
      expect(results[i]!.output, args.join(' ')).toMatch(message);
    });
  }, 60_000);

  it('takes the business secret, timeout and webhook from CALLGATE_* variables; the webhook vetoes, signed', async () => {
    const receiver = await new WebhookReceiver().start();
    receivers.push(receiver);
    receiver.answer = (hook) => (hook.event.event === VideoCallEvent.REQUEST ? { status: 200, body: '{"errorCode":7005}' } : { status: 204 });
    const server = await serveCallgate([], {
      env: {
        CALLGATE_SECRET: 'env-secret-0123456789',
        CALLGATE_BUSINESS_SECRET: 'env-business-secret',
        CALLGATE_BUSINESS_TIMEOUT: '0.5',
        CALLGATE_WEBHOOK_URL: receiver.url,
        CALLGATE_WEBHOOK_SECRET: 'env-webhook-secret',
        CALLGATE_WEBHOOK_VETO: '1',
      },
    });
    const business = new BusinessClient({ url: server.url, secret: 'env-business-secret' });
    clients.push(business);
    await business.connect();
    const alice = new CallClient({ url: server.url, token: await createAccessToken({ secret: 'env-secret-0123456789', userId: 'alice' }) });
    const bob = new CallClient({ url: server.url, token: await createAccessToken({ secret: 'env-secret-0123456789', userId: 'bob' }) });
    clients.push(alice, bob);
    await Promise.all([alice.connect(), bob.connect()]);
    const heard = new EventQueue<number>();
    alice.setVideoCallEventCallback((_event, _peer, errorCode) => heard.push(errorCode));
    alice.videoCallControl(VideoCallEvent.REQUEST, 'bob');
    expect(await heard.next('the webhook refusal')).toBe(7005);
    const asked = await receiver.hooks.next('the REQUEST webhook');
    expect(verifyWebhook(asked.body, asked.headers, 'env-webhook-secret')).toBe(true);

    receiver.answer = () => new Promise(() => {});
    alice.videoCallControl(VideoCallEvent.REQUEST, 'bob');
    expect(await heard.next('no answer within 0.5 s')).toBe(ErrorCode.BUSINESS_UNAVAILABLE);
  });
});
