import { afterEach, describe, expect, it } from 'vitest';
import type { ServerOptions } from '@callgate/server';
import { rawUser } from '../support/raw-user.js';
import type { RawSocket } from '../support/raw-socket.js';
import { startTestServer, type TestServer } from '../support/servers.js';
import { TcpClient } from '../support/tcp-client.js';

let server: TestServer | undefined;
const connections: TcpClient[] = [];
const users: RawSocket[] = [];

async function setup(options: Partial<ServerOptions>): Promise<TestServer> {
  server = await startTestServer(options);
  return server;
}

async function tcp(localAddress?: string): Promise<TcpClient> {
  const connection = await TcpClient.open(server!.port, localAddress);
  connections.push(connection);
  return connection;
}

async function user(userId: string): Promise<RawSocket> {
  const socket = await rawUser(server!, userId);
  users.push(socket);
  return socket;
}

/** Far longer than any timeout these tests configure, far shorter than the defaults Node and fastify would apply. */
const DEADLINE_MS = 5000;

afterEach(async () => {
  connections.splice(0).forEach((connection) => connection.destroy());
  users.splice(0).forEach((socket) => socket.close());
  await server?.close();
  server = undefined;
});

describe('idle and slow HTTP connections', () => {
  it('a connection that sends nothing is closed after the idle timeout', async () => {
    await setup({ httpTimeouts: { idleMs: 200 } });
    const idle = await tcp();
    expect(await idle.closesWithin(DEADLINE_MS)).toBe(true);
    expect(idle.received).toBe('');
  });

  it('headers dripped one byte at a time are cut off by the headers timeout (408)', async () => {
    await setup({ httpTimeouts: { idleMs: 2000, headersMs: 300 } });
    const slow = await tcp();
    slow.drip('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 20);
    expect(await slow.closesWithin(DEADLINE_MS)).toBe(true);
    expect(slow.received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('a request body dripped one byte at a time is cut off by the request timeout (408)', async () => {
    await setup({ dev: true, httpTimeouts: { idleMs: 2000, headersMs: 300, requestMs: 500 } });
    const slow = await tcp();
    slow.write(`POST /api/dev/login HTTP/1.1\r\nHost: 127.0.0.1:${server!.port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`);
    slow.drip(' ', 20);
    expect(await slow.closesWithin(DEADLINE_MS)).toBe(true);
    expect(slow.received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('a kept-alive connection that sends no second request is closed after the keep-alive timeout', async () => {
    await setup({ httpTimeouts: { keepAliveMs: 200 } });
    const kept = await tcp();
    kept.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await kept.closesWithin(DEADLINE_MS)).toBe(true);
    expect(kept.received).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('caps connections that are not WebSockets per address; WebSocket users from elsewhere still connect', async () => {
    await setup({ limits: { maxHttpConnectionsPerIp: 3 } });
    const connected = await user('connected-before');
    const idle = [await tcp('127.0.0.2'), await tcp('127.0.0.2'), await tcp('127.0.0.2')];
    const overAddressCap = await tcp('127.0.0.2');
    expect(await overAddressCap.closesWithin(DEADLINE_MS)).toBe(true);
    expect(overAddressCap.received).toBe('');
    expect(idle.filter((connection) => connection.isClosed)).toEqual([]);

    // Another address is not held up by that one, and upgraded WebSockets are not counted: four
    // users from 127.0.0.1, more than the cap of three, connect and authenticate.
    for (let i = 0; i < 4; i++) await user(`user-${i}`);
    connected.send({ type: 'ping' });
    expect(await connected.next('pong')).toEqual({ type: 'pong' });

    // Once an idle connection goes, its address may open another.
    idle[0]!.destroy();
    await idle[0]!.closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const again = await tcp('127.0.0.2');
    again.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await waitForText(again, /"status":"ok"/);
  });

  it('at the total cap, the connection that waited longest makes room: a new user still gets in', async () => {
    await setup({ limits: { maxHttpConnections: 4 } });
    const flood = [];
    for (let i = 0; i < 4; i++) flood.push(await tcp(`127.0.0.${2 + i}`));
    const newcomer = await user('newcomer');
    newcomer.send({ type: 'ping' });
    expect(await newcomer.next('pong')).toEqual({ type: 'pong' });
    expect(await flood[0]!.closesWithin(DEADLINE_MS)).toBe(true);
    expect(flood.slice(1).filter((connection) => connection.isClosed)).toEqual([]);
  });
});

async function waitForText(connection: TcpClient, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!pattern.test(connection.received)) {
    if (connection.isClosed || Date.now() > deadline) throw new Error(`expected ${pattern}, got ${JSON.stringify(connection.received)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
