import { describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import { DeviceUser, rawDevice } from '../support/device-user.js';
import type { RawSocket } from '../support/raw-socket.js';
import { nextOfType } from '../support/raw-user.js';
import { serversPerTest, type TestServer } from '../support/servers.js';

const servers = serversPerTest<{ close(): unknown }>();

async function device(server: TestServer, userId: string, deviceId: string, node: number): Promise<DeviceUser> {
  const opened = await DeviceUser.connect(server, userId, deviceId, { node });
  servers.opened.push(opened);
  return opened;
}

async function raw(server: TestServer, userId: string, deviceId: string | undefined, node: number): Promise<RawSocket> {
  const socket = await rawDevice(server, userId, deviceId, node);
  servers.opened.push(socket);
  return socket;
}

/** A watcher of `userId`'s presence, its snapshot read. */
async function watcher(server: TestServer, userId: string): Promise<{ socket: RawSocket; snapshot: unknown }> {
  const socket = await raw(server, 'watcher', 'watcher-1', 0);
  socket.send({ type: 'presence.watch', users: [userId] });
  const snapshot = await nextOfType(socket, 'presence', 'the snapshot');
  return { socket, snapshot: (snapshot.users as unknown[])[0] };
}

const statusChange = async (socket: RawSocket, what: string): Promise<string> =>
  ((await nextOfType(socket, 'presence', what)).users as { status: string }[])[0]!.status;

const presenceMessages = async (socket: RawSocket, ms: number): Promise<unknown[]> => (await socket.messages.drain(ms)).filter((m) => m.type === 'presence');

describe('presence with several devices', () => {
  it('a user is online while any of its devices is connected, and offline once the last one left', async () => {
    const server = await servers.start();
    const phone = await device(server, 'bob', 'bob-phone', 1);
    const laptop = await device(server, 'bob', 'bob-laptop', 2);
    const { socket, snapshot } = await watcher(server, 'bob');
    expect(snapshot).toEqual({ userId: 'bob', status: 'idle' });
    await phone.close();
    expect(await presenceMessages(socket, 300)).toEqual([]);
    await laptop.close();
    expect(await statusChange(socket, 'bob offline')).toBe('offline');
  });

  it('a dropped device does not count: with the other one away too the user is offline, and online again when one comes back', async () => {
    const server = await servers.start({ graceMs: 5000 });
    const phone = await device(server, 'bob', 'bob-phone', 1);
    const laptop = await device(server, 'bob', 'bob-laptop', 2);
    const { socket } = await watcher(server, 'bob');
    phone.drop();
    expect(await presenceMessages(socket, 300)).toEqual([]);
    laptop.drop();
    expect(await statusChange(socket, 'bob away')).toBe('offline');
    await laptop.reconnect();
    expect(await statusChange(socket, 'bob back')).toBe('idle');
  });

  it('`leaving`: the device is out of presence and of ringing at once; with no other device, a REQUEST gets OFFLINE at once', async () => {
    const server = await servers.start({ graceMs: 5000 });
    const alice = await device(server, 'alice', 'alice-1', 0);
    const tab = await raw(server, 'bob', 'bob-tab-1', 1);
    const { socket } = await watcher(server, 'bob');
    const sent = Date.now();
    tab.send({ type: 'leaving' });
    expect(await statusChange(socket, 'bob leaving')).toBe('offline');
    expect(Date.now() - sent).toBeLessThan(1000);
    const call = alice.client.call('bob');
    const code = await new Promise<number>((resolve) => call.once('ended', resolve));
    expect(code).toBe(ErrorCode.OFFLINE);
    expect((await tab.messages.drain(100)).filter((m) => m.type === 'event')).toEqual([]);
  });

  it('`leaving` from one of two tabs: a REQUEST rings only the other tab', async () => {
    const server = await servers.start({ graceMs: 5000 });
    const alice = await device(server, 'alice', 'alice-1', 0);
    const leavingTab = await raw(server, 'bob', 'bob-tab-1', 1);
    const otherTab = await raw(server, 'bob', 'bob-tab-2', 2);
    leavingTab.send({ type: 'leaving' });
    leavingTab.send({ type: 'ping' });
    await nextOfType(leavingTab, 'pong');
    const call = alice.client.call('bob');
    expect(await nextOfType(otherTab, 'event', 'REQUEST at the other tab')).toMatchObject({ event: VideoCallEvent.REQUEST, userId: 'alice' });
    // (The leaving tab's session keeps the REQUEST too, so that a reload of it rings again.)
    otherTab.send({ type: 'control', event: VideoCallEvent.REPLY, userId: 'alice', errorCode: ErrorCode.REJECT });
    expect(await new Promise<number>((resolve) => call.once('ended', resolve))).toBe(ErrorCode.REJECT);

    // Once the other tab says it is leaving too, nobody can ring: OFFLINE at once.
    otherTab.send({ type: 'leaving' });
    otherTab.send({ type: 'ping' });
    await nextOfType(otherTab, 'pong');
    const again = alice.client.call('bob');
    expect(await new Promise<number>((resolve) => again.once('ended', resolve))).toBe(ErrorCode.OFFLINE);
  });
});
