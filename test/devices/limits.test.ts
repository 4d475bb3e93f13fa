import { describe, expect, it } from 'vitest';
import { CallClient, CallgateError, ErrorCode } from '@callgate/client';
import { createAccessToken } from '@callgate/server';
import { DeviceUser, rawDevice } from '../support/device-user.js';
import { RawSocket } from '../support/raw-socket.js';
import { nextOfType } from '../support/raw-user.js';
import { TEST_SECRET, serversPerTest, waitUntil, type TestServer } from '../support/servers.js';

const servers = serversPerTest<{ close(): unknown }>();

async function device(server: TestServer, userId: string, deviceId: string, node: number): Promise<DeviceUser> {
  const opened = await DeviceUser.connect(server, userId, deviceId, { node });
  servers.opened.push(opened);
  return opened;
}

describe('device limits and bad device ids', () => {
  it('a device over --max-devices is refused with TOO_MANY_DEVICES and nothing else changes; once one left, it may sign in', async () => {
    const server = await servers.start({ maxDevices: 2 });
    const alice = await device(server, 'alice', 'alice-1', 0);
    const phone = await device(server, 'bob', 'bob-phone', 1);
    const laptop = await device(server, 'bob', 'bob-laptop', 2);
    const third = await DeviceUser.create(server, 'bob', 'bob-tablet', { node: 0 });
    servers.opened.push(third);
    const refusal = await third.client.connect().catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(CallgateError);
    expect(refusal).toMatchObject({ code: ErrorCode.TOO_MANY_DEVICES, codeName: 'TOO_MANY_DEVICES' });
    expect(third.client.connectionState).toBe('disconnected');

    // The two devices are untouched: both ring.
    alice.client.call('bob');
    const [a, b] = await Promise.all([phone.incoming.next('phone rings'), laptop.incoming.next('laptop rings')]);
    await a.reject();
    expect(b.isLive || b.endCode === ErrorCode.REJECT).toBe(true);

    // The laptop leaves for good; once the server has taken its close, the tablet fits.
    await laptop.close();
    let again: DeviceUser | undefined;
    await waitUntil('the tablet to be let in', async () => {
      again = await device(server, 'bob', 'bob-tablet', 0).catch(() => undefined);
      return again !== undefined;
    });
    expect(again!.client.welcome?.deviceId).toBe('bob-tablet');
  });

  it('with --max-devices 1 a new device replaces the old one (told REPLACED), as a second login always did', async () => {
    const server = await servers.start({ maxDevices: 1 });
    const alice = await device(server, 'alice', 'alice-1', 0);
    const phone = await device(server, 'bob', 'bob-phone', 1);
    await device(server, 'bob', 'bob-laptop', 2);
    expect((await phone.errors.next('REPLACED')).code).toBe(ErrorCode.REPLACED);
    alice.client.call('bob');
    expect(await phone.incoming.drain(300)).toEqual([]);
  });

  it('the same deviceId signing in afresh replaces that device’s socket only', async () => {
    const server = await servers.start();
    const first = await rawDevice(server, 'bob', 'bob-phone', 0);
    const laptop = await rawDevice(server, 'bob', 'bob-laptop', 1);
    servers.opened.push(first, laptop);
    const again = await rawDevice(server, 'bob', 'bob-phone', 2);
    servers.opened.push(again);
    expect(await nextOfType(first, 'error', 'REPLACED')).toMatchObject({ code: ErrorCode.REPLACED });
    expect((await first.closed).code).toBe(4002);
    laptop.send({ type: 'ping' });
    expect(await nextOfType(laptop, 'pong')).toEqual({ type: 'pong' });
  });

  it('a deviceId that is not 1–64 characters of the id charset is MALFORMED (and the socket closes 4003); the SDK refuses it before sending', async () => {
    const server = await servers.start();
    const token = await createAccessToken({ secret: TEST_SECRET, userId: 'bob' });
    for (const deviceId of ['', 'has space', 'x'.repeat(65), 'tab/1', 42]) {
      const socket = await RawSocket.open(server);
      servers.opened.push(socket);
      socket.send({ type: 'auth', token, deviceId });
      expect(await socket.next(`the answer to ${JSON.stringify(deviceId)}`)).toMatchObject({ type: 'error', code: ErrorCode.MALFORMED, name: 'MALFORMED' });
      expect((await socket.closed).code).toBe(4003);
    }
    expect(() => new CallClient({ url: server.url, token, deviceId: 'has space' })).toThrow(expect.objectContaining({ code: ErrorCode.MALFORMED }));
    // Without a deviceId the device is "default"; the SDK names one of its own.
    const plain = await rawDevice(server, 'carol', undefined, 0);
    servers.opened.push(plain);
    const sdk = new CallClient({ url: server.nodes[0]!.url, token: await createAccessToken({ secret: TEST_SECRET, userId: 'dave' }), media: false });
    servers.opened.push(sdk);
    await sdk.connect();
    expect(sdk.deviceId).toMatch(/^[0-9a-f]{24}$/);
    expect(sdk.welcome?.deviceId).toBe(sdk.deviceId);
  });
});
