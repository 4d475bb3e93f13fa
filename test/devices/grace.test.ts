import { describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent, type Call, type CallWaking } from '@callgate/client';
import { DeviceUser } from '../support/device-user.js';
import { stepsOf, until } from '../support/calls.js';
import { EventQueue } from '../support/event-queue.js';
import { serversPerTest, sleep, type TestServer } from '../support/servers.js';

const servers = serversPerTest<DeviceUser>();

async function device(server: TestServer, userId: string, deviceId: string, node: number): Promise<DeviceUser> {
  const opened = await DeviceUser.connect(server, userId, deviceId, { node });
  servers.opened.push(opened);
  return opened;
}

const ended = (call: Call): Promise<number> =>
  new Promise((resolve) => (call.isLive ? call.once('ended', (code) => resolve(code)) : resolve(call.endCode ?? -1)));

/** Resolves once `call` has started (at once when it has). */
const started = (call: Call): Promise<void> =>
  new Promise((resolve) => (call.state === 'talking' ? resolve() : call.once('started', () => resolve())));

function wakings(call: Call): EventQueue<CallWaking> {
  const waits = new EventQueue<CallWaking>();
  call.on('waking', (wait) => waits.push(wait));
  return waits;
}

describe('devices that drop', () => {
  it('the device in the call drops: the call is kept for the grace period and goes on when it resumes', async () => {
    const server = await servers.start({ graceMs: 2000 });
    const alice = await device(server, 'alice', 'alice-1', 0);
    const phone = await device(server, 'bob', 'bob-phone', 1);
    await device(server, 'bob', 'bob-laptop', 2);
    const outgoing = alice.client.call('bob');
    const incoming = await phone.incoming.next('ringing');
    await incoming.accept();
    await started(outgoing);
    phone.drop();
    await sleep(800);
    expect(outgoing.state).toBe('talking');
    await phone.reconnect();
    expect(phone.client.welcome?.resumed).toBe(true);
    await started(incoming);
    await outgoing.hangup();
    expect(await ended(incoming)).toBe(0);
  });

  it('the device in the call does not come back: the peer gets FINISH DISCONNECT; the user stays online on its other device and can be called', async () => {
    const server = await servers.start({ graceMs: 500 });
    const alice = await device(server, 'alice', 'alice-1', 0);
    const phone = await device(server, 'bob', 'bob-phone', 1);
    const laptop = await device(server, 'bob', 'bob-laptop', 2);
    const outgoing = alice.client.call('bob');
    await (await phone.incoming.next('ringing')).accept();
    await started(outgoing);
    await laptop.incoming.next('the laptop rang too');
    expect((await laptop.elsewhere.next('talking on the phone'))?.state).toBe('talking');
    phone.drop();
    expect(await ended(outgoing)).toBe(ErrorCode.DISCONNECT);
    expect(await laptop.elsewhere.next('over')).toBeNull();
    const next = alice.client.call('bob');
    await (await laptop.incoming.next('the next call rings the laptop')).accept();
    await started(next);
  });

  it('a device that takes no part in the call going away for good does not end the call', async () => {
    const server = await servers.start({ graceMs: 300 });
    const alice = await device(server, 'alice', 'alice-1', 0);
    const phone = await device(server, 'bob', 'bob-phone', 1);
    const laptop = await device(server, 'bob', 'bob-laptop', 2);
    const outgoing = alice.client.call('bob');
    const incoming = await phone.incoming.next('ringing');
    await incoming.accept();
    await started(outgoing);
    laptop.drop();
    await sleep(800);
    await laptop.close();
    expect(outgoing.state).toBe('talking');
    expect(incoming.state).toBe('talking');
    await incoming.hangup();
    expect(await ended(outgoing)).toBe(0);
  });

  it('a REQUEST to a user whose devices are all in their grace period waits (the caller’s Call says `waking`) and rings when one comes back', async () => {
    const server = await servers.start({ graceMs: 3000 });
    const alice = await device(server, 'alice', 'alice-1', 0);
    const phone = await device(server, 'bob', 'bob-phone', 1);
    const laptop = await device(server, 'bob', 'bob-laptop', 2);
    phone.drop();
    laptop.drop();
    await sleep(100);
    const before = Date.now();
    const call = alice.client.call('bob');
    const steps = stepsOf(call);
    const wait = await wakings(call).next('waking');
    expect(wait.pushed).toBe(false);
    expect(wait.until).toBeGreaterThan(before + 2000);
    expect(wait.until).toBeLessThanOrEqual(before + 3200);
    expect(call.state).toBe('dialing');
    expect(call.waking).toEqual(wait);
    // The seed callback hears nothing of the wait: REPLY 0 still means ringing.
    expect(await alice.events.drain(300)).toEqual([]);

    await laptop.reconnect();
    expect(await until(steps, 'ringing')).toBe('ringing');
    expect(await alice.events.next('REPLY 0')).toMatchObject({ event: VideoCallEvent.REPLY, errorCode: 0 });
    const incoming = await laptop.incoming.next('the REQUEST, once back');
    await incoming.accept();
    await until(steps, 'started');
    expect(call.waking).toBeNull();
  });

  it('the wait ends in OFFLINE when no device comes back; the caller’s FINISH during the wait cancels it', async () => {
    const server = await servers.start({ graceMs: 1000 });
    const alice = await device(server, 'alice', 'alice-1', 0);
    const phone = await device(server, 'bob', 'bob-phone', 1);
    phone.drop();
    await sleep(100);
    const started = Date.now();
    const call = alice.client.call('bob');
    await wakings(call).next('waking');
    expect(await ended(call)).toBe(ErrorCode.OFFLINE);
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect(await alice.events.next('REPLY OFFLINE')).toMatchObject({ event: VideoCallEvent.REPLY, errorCode: ErrorCode.OFFLINE });

    const carol = await device(server, 'carol', 'carol-1', 1);
    const davePhone = await device(server, 'dave', 'dave-phone', 2);
    davePhone.drop();
    await sleep(100);
    const cancelled = carol.client.call('dave');
    await wakings(cancelled).next('waking');
    await cancelled.hangup();
    expect(await ended(cancelled)).toBe(ErrorCode.CANCEL);
    // carol is free at once, and dave's device, back, does not ring for the cancelled call.
    await davePhone.reconnect();
    expect(await davePhone.incoming.drain(200)).toEqual([]);
  });
});
