import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CallClient } from '@callgate/client';
import { TokenVerifier, type RunningServer } from '@callgate/server';
import { killChildren, runCallgate, serveCallgate } from '../support/callgate-process.js';
import { startTestServer, TEST_SECRET } from '../support/servers.js';

const demoDir = fileURLToPath(new URL('../../apps/demo/dist', import.meta.url));
let server: RunningServer | undefined;

afterEach(async () => {
  await killChildren();
  await server?.close();
  server = undefined;
});

const login = (httpUrl: string, body: unknown): Promise<Response> =>
  fetch(`${httpUrl}/api/dev/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('the demo page and its login', () => {
  it('is served at / with its assets, and tells the page that dev login is on', async () => {
    server = await startTestServer({ dev: true, demoDir });
    const page = await fetch(`${server.httpUrl}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/<title>Callgate/);
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${server.httpUrl}/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect((await asset.text()).length).toBeGreaterThan(1000);
    expect(await (await fetch(`${server.httpUrl}/api/demo/config`)).json()).toEqual({ devLogin: true });
  });

  it('has a favicon: the page links favicon.svg, and /favicon.ico, which browsers ask for anyway, is the same icon', async () => {
    server = await startTestServer({ dev: true, demoDir });
    expect(await (await fetch(`${server.httpUrl}/`)).text()).toMatch(/<link rel="icon" href="\.\/favicon\.svg" type="image\/svg\+xml"/);
    for (const path of ['/favicon.svg', '/favicon.ico']) {
      const icon = await fetch(`${server.httpUrl}${path}`);
      expect(icon.status, path).toBe(200);
      expect(icon.headers.get('content-type'), path).toMatch(/^image\/svg\+xml/);
      expect(await icon.text(), path).toMatch(/^<svg /);
    }
  });

  it('dev login signs a role into the token, and refuses a bad role', async () => {
    server = await startTestServer({ dev: true });
    const agent = await login(server.httpUrl, { userId: 'agent-anna', role: 'agent' });
    expect(agent.status).toBe(200);
    const body = (await agent.json()) as { token: string; role: string };
    expect(body.role).toBe('agent');
    const check = await new TokenVerifier(TEST_SECRET).verify(body.token);
    expect(check).toMatchObject({ ok: true, userId: 'agent-anna', claims: { role: 'agent' } });
    const bad = await login(server.httpUrl, { userId: 'x', role: 'super agent!' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'BAD_ROLE' } });
  });

  it('dev login signs an agent\'s queues into the token, and refuses bad ones', async () => {
    server = await startTestServer({ dev: true });
    const agent = await login(server.httpUrl, { userId: 'agent-anna', role: 'agent', queues: ['billing', 'tech'] });
    expect(agent.status).toBe(200);
    const body = (await agent.json()) as { token: string; queues: string[] };
    expect(body.queues).toEqual(['billing', 'tech']);
    expect(await new TokenVerifier(TEST_SECRET).verify(body.token)).toMatchObject({ ok: true, grants: { role: 'agent', queues: ['billing', 'tech'] } });
    for (const queues of ['billing', ['no spaces'], [1]]) {
      const bad = await login(server.httpUrl, { userId: 'agent-anna', role: 'agent', queues });
      expect(bad.status, JSON.stringify(queues)).toBe(400);
      expect(await bad.json()).toMatchObject({ error: { code: 'BAD_QUEUES' } });
    }
  });

  it('callgate serve --dev starts with the demo queues when no --queues file is given', async () => {
    const dev = await serveCallgate(['--dev']);
    const token = ((await (await login(dev.httpUrl, { userId: 'customer-1' })).json()) as { token: string }).token;
    const client = new CallClient({ url: dev.url, token, media: false });
    await client.connect();
    try {
      expect((await client.listQueues()).map((queue) => [queue.id, queue.mode])).toEqual(
        expect.arrayContaining([['billing', 'auto'], ['tech', 'auto'], ['orders', 'manual']]),
      );
    } finally {
      client.close();
    }
  });

  it('without --dev the page is served only with --demo, and takes its token from the embedding application', async () => {
    const plain = await serveCallgate(['--secret', 'demo-page-secret-0123']);
    expect((await fetch(`${plain.httpUrl}/`)).status).toBe(404);

    const demo = await serveCallgate(['--secret', 'demo-page-secret-0123', '--demo']);
    expect((await fetch(`${demo.httpUrl}/`)).status).toBe(200);
    expect(await (await fetch(`${demo.httpUrl}/api/demo/config`)).json()).toEqual({ devLogin: false });
    expect((await login(demo.httpUrl, { userId: 'anyone' })).status).toBe(404);
  });

  it('serves the page’s source maps only in dev mode', async () => {
    server = await startTestServer({ demoDir });
    const production = server;
    const html = await (await fetch(`${production.httpUrl}/`)).text();
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    const map = /sourceMappingURL=(\S+)/.exec(await (await fetch(`${production.httpUrl}/${script}`)).text())?.[1];
    expect(map).toMatch(/\.js\.map$/);
    const mapPath = `${script!.replace(/[^/]+$/, '')}${map}`;
    expect((await fetch(`${production.httpUrl}/${mapPath}`)).status).toBe(404);
    expect((await fetch(`${production.httpUrl}/${script}`)).status).toBe(200);
    await production.close();

    server = await startTestServer({ dev: true, demoDir });
    expect((await fetch(`${server.httpUrl}/${mapPath}`)).status).toBe(200);
  });

  it('says how to build the page when it is missing', async () => {
    server = await startTestServer({ dev: true, demoDir: '/nonexistent/demo/dist' });
    const page = await fetch(`${server.httpUrl}/`);
    expect(page.status).toBe(503);
    expect(await page.text()).toMatch(/npm run build/);
  });

  it('callgate token --role signs the role claim', async () => {
    const result = await runCallgate(['token', '--user', 'agent-7', '--role', 'agent', '--secret', 'cli-secret']);
    expect(result.code).toBe(0);
    expect(await new TokenVerifier('cli-secret').verify(result.stdout.trim())).toMatchObject({ ok: true, claims: { role: 'agent' } });
    const bad = await runCallgate(['token', '--user', 'agent-7', '--role', 'no spaces', '--secret', 'cli-secret']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--role/);
  });
});
