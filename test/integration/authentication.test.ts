import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallClient, ErrorCode } from '@callgate/client';
import { createAccessToken, startServer } from '@callgate/server';
import { RawSocket } from '../support/raw-socket.js';
import { TcpClient } from '../support/tcp-client.js';
import { TEST_SECRET, startTestServer, type TestServer } from '../support/servers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ authTimeoutMs: 300 });
});
afterAll(() => server.close());

async function refusal(token: string): Promise<{ code: number; message: string }> {
  const client = new CallClient({ url: server.url, token });
  const error = await client.connect().then(
    () => {
      throw new Error('connect() should have been refused');
    },
    (error: unknown) => error as { code: number; message: string },
  );
  expect(client.connectionState).toBe('disconnected');
  return error;
}

describe('authentication', () => {
  it('accepts a valid token and names the user', async () => {
    const client = new CallClient({ url: server.url, token: await createAccessToken({ secret: TEST_SECRET, userId: 'ann' }) });
    await client.connect();
    expect(client.userId).toBe('ann');
    expect(client.welcome?.resumed).toBe(false);
    client.close();
  });

  it('refuses a token that is not a JWT', async () => {
    const error = await refusal('not-a-token');
    expect(error.code).toBe(ErrorCode.UNAUTHORIZED);
    expect(error.message).toMatch(/invalid access token/);
  });

  it('refuses a token signed with another key', async () => {
    const error = await refusal(await createAccessToken({ secret: 'some-other-secret', userId: 'ann' }));
    expect(error.code).toBe(ErrorCode.UNAUTHORIZED);
  });

  it('refuses an expired token with TOKEN_EXPIRED', async () => {
    const error = await refusal(await createAccessToken({ secret: TEST_SECRET, userId: 'ann', ttlSeconds: -10 }));
    expect(error.code).toBe(ErrorCode.TOKEN_EXPIRED);
    expect(error.message).toMatch(/expired/);
  });

  it('closes the socket with 4001 after a bad token', async () => {
    const raw = await RawSocket.open(server);
    raw.send({ type: 'auth', token: 'garbage' });
    expect(await raw.next()).toMatchObject({ type: 'error', code: ErrorCode.UNAUTHORIZED, name: 'UNAUTHORIZED' });
    expect((await raw.closed).code).toBe(4001);
  });

  it('requires auth as the first message', async () => {
    const raw = await RawSocket.open(server);
    raw.send({ type: 'control', event: 1, userId: 'bob' });
    expect(await raw.next()).toMatchObject({ type: 'error', code: ErrorCode.NOT_AUTHENTICATED });
    expect((await raw.closed).code).toBe(4003);
  });

  it('closes a socket that does not authenticate in time', async () => {
    const raw = await RawSocket.open(server);
    expect(await raw.next()).toMatchObject({ type: 'error', code: ErrorCode.NOT_AUTHENTICATED });
    expect((await raw.closed).code).toBe(4003);
  });

  it('cuts off a socket that misses the deadline and never answers the close frame', async () => {
    const silent = await TcpClient.open(server.port);
    await silent.upgrade('/ws');
    // Far longer than the 300 ms deadline, far shorter than the 30 s ws would wait for the answer.
    const cut = await silent.closesWithin(10_000);
    silent.destroy();
    expect(cut).toBe(true);
  });

  it('startServer refuses secrets and keys shorter than 16 bytes unless dev', async () => {
    const long = 'sixteen-bytes-ok';
    await expect(startServer({ port: 0, secret: 'short' })).rejects.toThrow(/secret must be at least 16 bytes/);
    await expect(startServer({ port: 0, secret: long, businessSecret: 'b' })).rejects.toThrow(/businessSecret must be at least 16 bytes/);
    await expect(startServer({ port: 0, secret: long, adminKey: 'k' })).rejects.toThrow(/adminKey must be at least 16 bytes/);
    await expect(startServer({ port: 0, secret: long, webhook: { url: 'http://127.0.0.1:9/h', secret: 'w' } })).rejects.toThrow(
      /webhook\.secret must be at least 16 bytes/,
    );
    const dev = await startServer({ port: 0, secret: 'short', adminKey: 'k', dev: true, logLevel: 'silent' });
    await dev.close();
  });

  it('never takes the token from the URL', async () => {
    const token = await createAccessToken({ secret: TEST_SECRET, userId: 'ann' });
    const raw = await RawSocket.open(server, `?token=${token}&access_token=${token}`);
    raw.send({ type: 'ping' });
    expect(await raw.next()).toMatchObject({ type: 'error', code: ErrorCode.NOT_AUTHENTICATED });
  });
});
