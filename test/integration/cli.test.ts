import { afterEach, describe, expect, it } from 'vitest';
import { CallClient, ErrorCode } from '@callgate/client';
import { TokenVerifier } from '@callgate/server';
import { killChildren, runCallgate, runNode, serveCallgate } from '../support/callgate-process.js';
import { expectedTwoClientsOutput } from '../support/readme.js';

afterEach(() => killChildren());

describe('the callgate command', () => {
  it('mints a token that the server accepts', async () => {
    const result = await runCallgate(['token', '--user', 'alice', '--ttl', '60', '--secret', 'cli-secret']);
    expect(result.code).toBe(0);
    const check = await new TokenVerifier('cli-secret').verify(result.stdout.trim());
    expect(check).toMatchObject({ ok: true, userId: 'alice' });
  });

  it('takes the secret from CALLGATE_SECRET', async () => {
    const result = await runCallgate(['token', '--user', 'bob'], { env: { CALLGATE_SECRET: 'env-secret' } });
    expect(await new TokenVerifier('env-secret').verify(result.stdout.trim())).toMatchObject({ ok: true, userId: 'bob' });
  });

  it('refuses to mint a token without a secret, or for a bad user id', async () => {
    const noSecret = await runCallgate(['token', '--user', 'alice']);
    expect(noSecret.code).not.toBe(0);
    expect(noSecret.stderr).toMatch(/--secret/);
    const badUser = await runCallgate(['token', '--user', 'a b', '--secret', 's']);
    expect(badUser.code).not.toBe(0);
    expect(badUser.stderr).toMatch(/invalid user id/);
  });

  it('will not serve without a secret unless --dev', async () => {
    const result = await runCallgate(['serve', '--port', '0']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/a token secret is required/);
  });

  it('refuses a secret or key shorter than 16 bytes outside --dev, and names it', async () => {
    const long = 'sixteen-bytes-ok';
    for (const [args, option] of [
      [['--secret', 'short'], '--secret'],
      [['--secret', long, '--business-secret', 'fifteen-bytes!!'], '--business-secret'],
      [['--secret', long, '--admin-key', 'k'], '--admin-key'],
      [['--secret', long, '--webhook-url', 'http://127.0.0.1:9/hooks', '--webhook-secret', 'w'], '--webhook-secret'],
    ] as const) {
      const result = await runCallgate(['serve', '--port', '0', ...args]);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr).toContain(`${option} must be at least 16 bytes`);
    }
    const dev = await serveCallgate(['--dev', '--secret', 'short', '--admin-key', 'k']);
    expect(dev.output()).toMatch(/listening/);
  });

  it('serve --token-issuer/--token-audience take only tokens that token --issuer/--audience signed so', async () => {
    const secret = 'issuer-secret-0123456';
    const server = await serveCallgate(['--secret', secret, '--token-issuer', 'https://app.example', '--token-audience', 'callgate']);
    const signed = await runCallgate(['token', '--user', 'ann', '--secret', secret, '--issuer', 'https://app.example', '--audience', 'callgate']);
    expect(signed.code).toBe(0);
    expect(await new TokenVerifier(secret, { issuer: 'https://app.example', audience: 'callgate' }).verify(signed.stdout.trim())).toMatchObject({
      ok: true,
      claims: { iss: 'https://app.example', aud: 'callgate' },
    });
    const ann = new CallClient({ url: server.url, token: signed.stdout.trim() });
    await ann.connect();
    ann.close();
    const plain = (await runCallgate(['token', '--user', 'bob', '--secret', secret])).stdout.trim();
    await expect(new CallClient({ url: server.url, token: plain }).connect()).rejects.toMatchObject({ code: ErrorCode.UNAUTHORIZED });
  });

  it('shows help for each command', async () => {
    const serveHelp = await runCallgate(['serve', '--help']);
    expect(serveHelp.stdout).toMatch(/--ring-timeout <seconds>/);
    expect(serveHelp.stdout).toMatch(/--grace <seconds>/);
    const tokenHelp = await runCallgate(['token', '--help']);
    expect(tokenHelp.stdout).toMatch(/--user <userId>/);
  });

  it('serves in --dev mode with a generated secret and a demo login, and stops on SIGTERM', async () => {
    const server = await serveCallgate(['--dev']);
    expect(server.output()).toMatch(/generated token secret/);
    const httpUrl = server.url.replace('ws://', 'http://');
    const login = await fetch(`${httpUrl}/api/dev/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'dev-user' }),
    });
    expect(login.status).toBe(200);
    expect(await login.json()).toMatchObject({ userId: 'dev-user', token: expect.any(String) });
    const exited = new Promise((resolve) => server.child.on('exit', resolve));
    server.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('runs the README example: two Node clients, one call, the same roomId, then FINISH', async () => {
    const server = await serveCallgate(['--secret', 'readme-secret-0123456789']);
    const token = async (user: string): Promise<string> =>
      (await runCallgate(['token', '--user', user, '--secret', 'readme-secret-0123456789'])).stdout.trim();
    const example = await runNode(['examples/two-clients.mjs', await token('alice'), await token('bob'), server.url]);
    expect(example.code).toBe(0);
    // The README's six lines, in its order, with no trailing spaces; both START lines carry one roomId.
    expect(example.stdout).toBe(expectedTwoClientsOutput(example.stdout));
    expect(example.stdout).toMatch(/^alice: START from bob errorCode=0 param=[1-9]\d*$/m);
  });
});
