import { afterEach, describe, expect, it } from 'vitest';
import { createAccessToken, iceServersFor, turnCredential, type RunningServer } from '@callgate/server';
import { RawSocket } from '../support/raw-socket.js';
import { killChildren, runCallgate, serveCallgate } from '../support/callgate-process.js';
import { startTestServer, TEST_SECRET } from '../support/servers.js';

let server: RunningServer | undefined;

afterEach(async () => {
  await killChildren();
  await server?.close();
  server = undefined;
});

async function welcomeOf(url: string, secret: string, userId: string): Promise<Record<string, unknown>> {
  const socket = await RawSocket.open({ url } as RunningServer);
  socket.send({ type: 'auth', token: await createAccessToken({ secret, userId }) });
  const welcome = await socket.next('welcome');
  socket.close();
  return welcome;
}

describe('ICE servers', () => {
  it('makes coturn-style TURN credentials: username expiry:userId, password base64 HMAC-SHA1', () => {
    // Reference value: printf '1700003600:alice' | openssl dgst -sha1 -hmac north-wind -binary | base64
    expect(turnCredential('north-wind', 'alice', 1_700_003_600)).toEqual({
      username: '1700003600:alice',
      credential: 'iRtTIZ3N38dm9S+dP+UkHfnN9Qo=',
    });
  });

  it('hands each user STUN and its own TURN credential in the welcome message', async () => {
    const now = 1_700_000_000_000;
    server = await startTestServer({
      iceServers: iceServersFor({
        stun: ['stun:stun.example.org:3478'],
        turn: { urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'], secret: 'north-wind', ttlSeconds: 3600 },
        now: () => now,
      }),
    });
    const welcome = await welcomeOf(server.url, TEST_SECRET, 'alice');
    expect(welcome.iceServers).toEqual([
      { urls: ['stun:stun.example.org:3478'] },
      {
        urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'],
        username: '1700003600:alice',
        credential: 'iRtTIZ3N38dm9S+dP+UkHfnN9Qo=',
      },
    ]);
    const bob = await welcomeOf(server.url, TEST_SECRET, 'bob');
    expect((bob.iceServers as { username?: string }[])[1]?.username).toBe('1700003600:bob');
  });

  it('refuses bad settings with a clear message', () => {
    expect(() => iceServersFor({ stun: ['http://stun.example.org'] })).toThrow(/not a STUN URL/);
    expect(() => iceServersFor({ turn: { urls: ['turn:t.example.org'], secret: '' } })).toThrow(/shared secret/);
    expect(() => iceServersFor({ turn: { urls: ['stun:t.example.org'], secret: 's' } })).toThrow(/not a TURN URL/);
    expect(() => iceServersFor({ turn: { urls: ['turn:t.example.org'], secret: 's', ttlSeconds: 0 } })).toThrow(/lifetime/);
  });

  it('callgate serve takes --stun (repeatable), --turn-url, --turn-secret and --turn-ttl, or CALLGATE_* variables', async () => {
    const fromFlags = await serveCallgate([
      '--secret', 'ice-secret-one-0123', '--stun', 'stun:a.example.org', '--stun', 'stun:b.example.org:3478',
      '--turn-url', 'turn:t.example.org:3478', '--turn-secret', 'shared', '--turn-ttl', '600',
    ]);
    const before = Math.floor(Date.now() / 1000);
    const welcome = await welcomeOf(fromFlags.url, 'ice-secret-one-0123', 'carol');
    const [stun, turn] = welcome.iceServers as { urls: string[]; username: string; credential: string }[];
    expect(stun).toEqual({ urls: ['stun:a.example.org', 'stun:b.example.org:3478'] });
    expect(turn!.urls).toEqual(['turn:t.example.org:3478']);
    const [expiry, user] = turn!.username.split(':');
    expect(user).toBe('carol');
    expect(Number(expiry) - before).toBeGreaterThanOrEqual(599);
    expect(Number(expiry) - before).toBeLessThanOrEqual(602);
    expect(turn!.credential).toBe(turnCredential('shared', 'carol', Number(expiry)).credential);

    const fromEnv = await serveCallgate(['--secret', 'ice-secret-two-0123'], {
      env: {
        CALLGATE_STUN: 'stun:c.example.org,stun:d.example.org',
        CALLGATE_TURN_URL: 'turns:t.example.org:5349',
        CALLGATE_TURN_SECRET: 'env-shared',
      },
    });
    const envWelcome = await welcomeOf(fromEnv.url, 'ice-secret-two-0123', 'dave');
    expect(envWelcome.iceServers).toMatchObject([
      { urls: ['stun:c.example.org', 'stun:d.example.org'] },
      { urls: ['turns:t.example.org:5349'], username: expect.stringMatching(/^\d+:dave$/) },
    ]);
  });

  it('callgate serve refuses a TURN URL without a secret, and a bad STUN URL', async () => {
    const noSecret = await runCallgate(['serve', '--secret', 'ice-secret-0123456', '--port', '0', '--turn-url', 'turn:t.example.org']);
    expect(noSecret.code).not.toBe(0);
    expect(noSecret.stderr).toMatch(/--turn-secret/);
    const badStun = await runCallgate(['serve', '--secret', 'ice-secret-0123456', '--port', '0', '--stun', 'stun.example.org']);
    expect(badStun.code).not.toBe(0);
    expect(badStun.stderr).toMatch(/not a STUN URL/);
  });
});
