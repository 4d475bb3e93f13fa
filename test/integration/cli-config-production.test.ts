import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { verifyWebhook } from '@callgate/business';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import { createAccessToken, turnCredential, type RunningServer } from '@callgate/server';
import { serveCallgate } from '../support/callgate-process.js';
import { freshDatabase } from '../support/databases.js';
import { apiGet } from '../support/history.js';
import { RawSocket, upgradeStatus } from '../support/raw-socket.js';
import { nextOfType } from '../support/raw-user.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const EXAMPLE = 'examples/callgate.production.json';
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The secrets, from CALLGATE_* variables as the README recommends, never from the file. */
const secrets = {
  CALLGATE_SECRET: 'production-token-secret-0123',
  CALLGATE_TURN_SECRET: 'production-turn-secret-0123',
  CALLGATE_WEBHOOK_SECRET: 'production-webhook-secret-0123',
  CALLGATE_ADMIN_KEY: 'production-admin-key-0123',
};

describe(`callgate serve --config ${EXAMPLE}`, () => {
  it('runs the production example: public URL, token issuer, TURN, queues, webhook, records in PostgreSQL, state in Redis', async () => {
    const example = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(example).filter((key) => /secret|key/.test(key)), 'no secret in the file').toEqual([]);
    const database = await freshDatabase('postgres');
    cleanups.push(() => database.drop());
    const receiver = await new WebhookReceiver().start();
    cleanups.push(() => receiver.close());
    const redis = new Redis(inject('redisUrl'));
    cleanups.push(() => redis.quit());

    // The test's services stand in for redis.internal and db.internal: a variable and a flag win
    // over the file's; so does --host (the example listens on every interface).
    const server = await serveCallgate(['--config', EXAMPLE, '--host', '127.0.0.1', '--db', database.db], {
      env: { ...secrets, CALLGATE_REDIS: inject('redisUrl'), CALLGATE_WEBHOOK_URL: receiver.url },
    });
    cleanups.push(() => server.stop());

    // Its own origin is the public URL's; the app's is allowed; what it listens on is not.
    expect(await upgradeStatus(`${server.url}/ws`, { Origin: 'https://calls.example.com' })).toBe(101);
    expect(await upgradeStatus(`${server.url}/ws`, { Origin: 'https://app.example.com' })).toBe(101);
    expect(await upgradeStatus(`${server.url}/ws`, { Origin: server.httpUrl })).toBe(403);

    // Only tokens of the configured issuer and audience; the welcome carries STUN and a TURN credential.
    const alice = await RawSocket.open({ url: server.url } as RunningServer);
    cleanups.push(() => alice.close());
    const token = { secret: secrets.CALLGATE_SECRET, userId: 'alice', issuer: 'https://app.example.com', audience: 'callgate' };
    alice.send({ type: 'auth', token: await createAccessToken(token) });
    const welcome = await alice.next('welcome');
    expect(welcome).toMatchObject({ type: 'welcome' });
    const [stun, turn] = welcome.iceServers as { urls: string[]; username: string; credential: string }[];
    expect(stun).toEqual({ urls: example.stun });
    expect(turn!.urls).toEqual(example['turn-url']);
    expect(turn!.credential).toBe(turnCredential(secrets.CALLGATE_TURN_SECRET, 'alice', Number(turn!.username.split(':')[0])).credential);
    const outsider = await RawSocket.open({ url: server.url } as RunningServer);
    cleanups.push(() => outsider.close());
    outsider.send({ type: 'auth', token: await createAccessToken({ secret: secrets.CALLGATE_SECRET, userId: 'mallory' }) });
    expect(await outsider.next('refusal')).toMatchObject({ type: 'error', code: ErrorCode.UNAUTHORIZED });

    // The queues of ./callgate.queues.json, beside the example.
    alice.send({ type: 'queue.enter', id: 'e1', queue: 'support' });
    expect(await nextOfType(alice, 'entry')).toMatchObject({ entry: { queue: 'support', state: 'waiting' } });
    alice.send({ type: 'queue.leave', id: 'e2' });
    expect(await nextOfType(alice, 'entry')).toMatchObject({ entry: { state: 'ended' } });

    // A call: the webhook hears it, signed with CALLGATE_WEBHOOK_SECRET; its record lands in PostgreSQL.
    alice.send({ type: 'control', event: VideoCallEvent.REQUEST, userId: 'bob' });
    expect(await nextOfType(alice, 'event')).toMatchObject({ event: VideoCallEvent.REPLY, errorCode: ErrorCode.OFFLINE });
    const hook = await receiver.hooks.next('a webhook');
    expect(verifyWebhook(hook.body, hook.headers, secrets.CALLGATE_WEBHOOK_SECRET)).toBe(true);
    const history = await apiGet(server, '/api/calls', secrets.CALLGATE_ADMIN_KEY);
    expect(history.body.calls).toMatchObject([{ caller: 'alice', callee: 'bob', outcome: 'offline' }]);

    // Cluster state under the example's key prefix in the test's Redis.
    expect((await redis.keys(`${example['redis-prefix'] as string}*`)).length).toBeGreaterThan(0);
  });
});
