import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/protocol';
import type { RunningServer } from '@callgate/server';
import { RawSocket } from '../support/raw-socket.js';
import { nextOfType, rawUser } from '../support/raw-user.js';
import { sleep, startTestServer, waitUntil } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

let server: RunningServer | undefined;
const sockets: RawSocket[] = [];
const testUsers: TestUser[] = [];

afterEach(async () => {
  sockets.splice(0).forEach((socket) => socket.close());
  await Promise.all(testUsers.splice(0).map((user) => user.close()));
  await server?.close();
  server = undefined;
});

async function open(userId: string, claims?: Record<string, unknown>): Promise<RawSocket> {
  const socket = await rawUser(server!, userId, claims);
  sockets.push(socket);
  return socket;
}

const presence = (socket: RawSocket, what: string) => nextOfType(socket, 'presence', what);

describe('presence', () => {
  it('shows a role watcher which agents are online and free, and every change', async () => {
    server = await startTestServer({ graceMs: 10_000 });
    const anna = await open('agent-anna', { role: 'agent' });
    const customer = await open('customer-1');
    customer.send({ type: 'presence.watch', role: 'agent' });
    expect(await presence(customer, 'snapshot')).toEqual({
      type: 'presence',
      snapshot: true,
      users: [{ userId: 'agent-anna', status: 'idle', role: 'agent' }],
    });

    const ben = await open('agent-ben', { role: 'agent' });
    expect(await presence(customer, 'ben online')).toEqual({
      type: 'presence',
      snapshot: false,
      users: [{ userId: 'agent-ben', status: 'idle', role: 'agent' }],
    });
    await open('customer-2');

    customer.send({ type: 'control', event: VideoCallEvent.REQUEST, userId: 'agent-anna', flags: 3 });
    expect(await presence(customer, 'anna busy')).toMatchObject({ users: [{ userId: 'agent-anna', status: 'busy' }] });
    await nextOfType(anna, 'event', 'REQUEST');
    anna.send({ type: 'control', event: VideoCallEvent.REPLY, userId: 'customer-1', errorCode: ErrorCode.REJECT });
    expect(await presence(customer, 'anna free again')).toMatchObject({ users: [{ userId: 'agent-anna', status: 'idle' }] });

    ben.socket.close(1000);
    expect(await presence(customer, 'ben offline')).toEqual({
      type: 'presence',
      snapshot: false,
      users: [{ userId: 'agent-ben', status: 'offline', role: 'agent' }],
    });
    // A dropped agent is offline at once: nothing can ring it (its session still waits for a resume).
    anna.close();
    expect(await presence(customer, 'anna offline at once')).toMatchObject({ users: [{ userId: 'agent-anna', status: 'offline' }] });
    // customer-2 has no role: never reported to a role watcher.
    expect(await customer.messages.drain(100)).toEqual([]);
  });

  it('reports named users, offline ones included, and stops when the watch names nobody', async () => {
    server = await startTestServer();
    const watcher = await open('watcher');
    await open('bob');
    watcher.send({ type: 'presence.watch', users: ['bob', 'nobody'] });
    expect(await presence(watcher, 'snapshot')).toEqual({
      type: 'presence',
      snapshot: true,
      users: [
        { userId: 'bob', status: 'idle' },
        { userId: 'nobody', status: 'offline' },
      ],
    });
    const nobody = await open('nobody');
    expect(await presence(watcher, 'nobody online')).toMatchObject({ users: [{ userId: 'nobody', status: 'idle' }] });
    watcher.send({ type: 'presence.watch' });
    expect(await presence(watcher, 'empty snapshot')).toEqual({ type: 'presence', snapshot: true, users: [] });
    nobody.socket.close(1000);
    expect(await watcher.messages.drain(150)).toEqual([]);
  });

  it('refuses a bad watch with MALFORMED', async () => {
    server = await startTestServer();
    const watcher = await open('watcher');
    watcher.send({ type: 'presence.watch', role: 'not a role!' });
    expect(await watcher.next('error')).toMatchObject({ type: 'error', code: ErrorCode.MALFORMED });
    watcher.send({ type: 'presence.watch', users: Array.from({ length: 101 }, (_, i) => `u${i}`) });
    expect(await watcher.next('error')).toMatchObject({ type: 'error', code: ErrorCode.MALFORMED });
  });

  it('reaches the SDK: watchPresence keeps a list, and renews the watch after a reconnect', async () => {
    server = await startTestServer();
    const customer = await TestUser.connect(server, 'customer');
    testUsers.push(customer);
    const updates: string[] = [];
    customer.client.on('presence', (users) => updates.push(JSON.stringify([...users.values()])));
    customer.client.watchPresence({ role: 'agent' });
    await open('agent-anna', { role: 'agent' });
    await waitUntil('agent-anna to show idle', () => customer.client.presence.get('agent-anna')?.status === 'idle');
    customer.drop();
    await sleep(50);
    await customer.reconnect();
    const zoe = await open('agent-zoe', { role: 'agent' });
    await waitUntil('agent-zoe to show idle', () => customer.client.presence.get('agent-zoe')?.status === 'idle');
    zoe.socket.close(1000);
    await waitUntil('agent-zoe to leave the presence list', () => !customer.client.presence.has('agent-zoe'));
    expect(updates.length).toBeGreaterThanOrEqual(3);
  });
});
