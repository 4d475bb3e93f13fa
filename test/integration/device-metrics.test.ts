/** /metrics counts devices: how many are connected, and how many users have how many of them. */
import { describe, expect, it } from 'vitest';
import { createAccessToken } from '@callgate/server';
import { sample } from '../support/history.js';
import { RawSocket } from '../support/raw-socket.js';
import { serversPerTest, TEST_SECRET, waitUntil, type TestServer } from '../support/servers.js';

const tests = serversPerTest<RawSocket>();

async function device(server: TestServer, userId: string, deviceId: string): Promise<RawSocket> {
  const socket = await RawSocket.open(server);
  tests.opened.push(socket);
  socket.send({ type: 'auth', token: await createAccessToken({ secret: TEST_SECRET, userId }), deviceId });
  expect(await socket.next('welcome')).toMatchObject({ type: 'welcome', deviceId });
  return socket;
}

const metrics = async (server: TestServer): Promise<string> => (await fetch(`${server.httpUrl}/metrics`)).text();

describe('device metrics', () => {
  it('callgate_connected_devices and callgate_users_by_devices follow devices signing in and leaving', async () => {
    const server = await tests.start();
    await device(server, 'alice', 'phone');
    const laptop = await device(server, 'alice', 'laptop');
    await device(server, 'alice', 'tablet');
    await device(server, 'bob', 'phone');
    let text = await metrics(server);
    expect(sample(text, 'callgate_connected_devices')).toBe(4);
    expect(sample(text, 'callgate_connected_users')).toBe(2);
    expect(sample(text, 'callgate_users_by_devices', { devices: '1' })).toBe(1);
    expect(sample(text, 'callgate_users_by_devices', { devices: '3' })).toBe(1);
    expect(sample(text, 'callgate_users_by_devices', { devices: '2' })).toBe(0);

    laptop.close();
    await waitUntil('the laptop to be gone', async () => sample(await metrics(server), 'callgate_connected_devices') === 3);
    text = await metrics(server);
    expect(sample(text, 'callgate_users_by_devices', { devices: '2' })).toBe(1);
    expect(sample(text, 'callgate_users_by_devices', { devices: '3' })).toBe(0);
  });
});
