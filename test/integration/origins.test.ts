import { afterEach, describe, expect, it } from 'vitest';
import type { ServerOptions } from '@callgate/server';
import { killChildren, serveCallgate } from '../support/callgate-process.js';
import { upgradeStatus } from '../support/raw-socket.js';
import { startTestServer, type TestServer } from '../support/servers.js';
import { TcpClient } from '../support/tcp-client.js';

let server: TestServer | undefined;

async function setup(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  server = await startTestServer(options);
  return server;
}

afterEach(async () => {
  await killChildren();
  await server?.close();
  server = undefined;
});

/** POST /api/dev/login over a bare TCP connection, with exactly the Host (and Origin) given; resolves with the status and body. */
async function devLogin(port: number, host: string, origin?: string): Promise<{ status: number; body: unknown }> {
  const connection = await TcpClient.open(port);
  const body = JSON.stringify({ userId: 'victim' });
  connection.write(
    `POST /api/dev/login HTTP/1.1\r\nHost: ${host}\r\n${origin ? `Origin: ${origin}\r\n` : ''}` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
  await connection.closed;
  const [head = '', text = ''] = connection.received.split('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), body: JSON.parse(text) as unknown };
}

describe('browser origins', () => {
  it('checks the Origin of browser connections against the allow-list', async () => {
    await setup({ allowOrigins: ['https://shop.example'] });
    const url = `${server!.url}/ws`;
    expect(await upgradeStatus(url, { Origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(url, { Origin: 'https://shop.example' })).toBe(101);
    expect(await upgradeStatus(url, { Origin: server!.httpUrl })).toBe(101);
    expect(await upgradeStatus(url)).toBe(101);
  });

  it('the server’s own origin is what it listens on, not what the Host header says (DNS rebinding)', async () => {
    await setup();
    const { port } = server!;
    const url = `${server!.url}/ws`;
    expect(await upgradeStatus(url, { Host: `rebind.evil:${port}`, Origin: `http://rebind.evil:${port}` })).toBe(403);
    expect(await upgradeStatus(url, { Origin: `https://127.0.0.1:${port}` })).toBe(403);
    expect(await upgradeStatus(url, { Origin: `http://127.0.0.1:${port + 1}` })).toBe(403);
    expect(await upgradeStatus(url, { Origin: `http://127.0.0.1:${port}` })).toBe(101);
    expect(await upgradeStatus(url, { Origin: `http://localhost:${port}` })).toBe(101);
  });

  it('the dev login answers only through the server’s own host and origin', async () => {
    await setup({ dev: true });
    const { port } = server!;
    const forbidden = { error: { code: 'FORBIDDEN', message: expect.any(String) } };
    expect(await devLogin(port, `rebind.evil:${port}`)).toEqual({ status: 403, body: forbidden });
    expect(await devLogin(port, `rebind.evil:${port}`, `http://rebind.evil:${port}`)).toEqual({ status: 403, body: forbidden });
    expect(await devLogin(port, `127.0.0.1:${port}`, 'https://evil.example')).toEqual({ status: 403, body: forbidden });
    expect(await devLogin(port, `127.0.0.1:${port}`, `http://127.0.0.1:${port}`)).toMatchObject({ status: 200, body: { userId: 'victim' } });
    expect(await devLogin(port, `localhost:${port}`)).toMatchObject({ status: 200, body: { userId: 'victim' } });
  });

  it('publicUrl names the server’s own origin instead', async () => {
    await setup({ dev: true, publicUrl: 'https://calls.example.com' });
    const { port } = server!;
    const url = `${server!.url}/ws`;
    expect(await upgradeStatus(url, { Origin: 'https://calls.example.com' })).toBe(101);
    expect(await upgradeStatus(url, { Origin: 'http://calls.example.com' })).toBe(403);
    expect(await upgradeStatus(url, { Origin: `http://127.0.0.1:${port}` })).toBe(403);
    expect(await devLogin(port, 'calls.example.com', 'https://calls.example.com')).toMatchObject({ status: 200 });
    expect(await devLogin(port, `127.0.0.1:${port}`)).toMatchObject({ status: 403 });
  });

  it('callgate serve --public-url (or CALLGATE_PUBLIC_URL) sets it; a URL that is not http(s) is refused', async () => {
    const served = await serveCallgate(['--secret', 'origins-secret-0123456789', '--public-url', 'https://calls.example.com']);
    expect(await upgradeStatus(`${served.url}/ws`, { Origin: 'https://calls.example.com' })).toBe(101);
    expect(await upgradeStatus(`${served.url}/ws`, { Origin: served.httpUrl })).toBe(403);
    const fromEnv = await serveCallgate(['--secret', 'origins-secret-0123456789'], { env: { CALLGATE_PUBLIC_URL: 'https://env.example.com' } });
    expect(await upgradeStatus(`${fromEnv.url}/ws`, { Origin: 'https://env.example.com' })).toBe(101);
    await expect(serveCallgate(['--secret', 'origins-secret-0123456789', '--public-url', 'ftp://calls.example.com'])).rejects.toThrow(/public/i);
  });
});
