import { describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import { DeviceUser } from '../support/device-user.js';
import { stepsOf, until } from '../support/calls.js';
import { serversPerTest, waitUntil } from '../support/servers.js';
import type { ReceivedEvent } from '../support/test-user.js';

const servers = serversPerTest<DeviceUser>();

/** `userId` signed in on `count` devices, device i on node i (with three nodes, each on its own). */
async function devicesOf(server: Awaited<ReturnType<typeof servers.start>>, userId: string, count: number): Promise<DeviceUser[]> {
  const devices: DeviceUser[] = [];
  for (let i = 0; i < count; i++) devices.push(await DeviceUser.connect(server, userId, `${userId}-device-${i + 1}`, { node: i }));
  servers.opened.push(...devices);
  return devices;
}

const summary = (event: ReceivedEvent): string => `${['', 'REQUEST', 'REPLY', 'START', 'FINISH'][event.event]} ${event.userId} ${event.errorCode}`;

describe('a user on several devices', () => {
  it('two devices: a REQUEST rings both; the first to answer gets START, the other FINISH ANSWERED_ELSEWHERE and then word that the call is elsewhere', async () => {
    const server = await servers.start();
    const [alice] = await devicesOf(server, 'alice', 1);
    const [phone, laptop] = await devicesOf(server, 'bob', 2);

    const call = alice!.client.call('bob', { flags: 3, userStr: 'hello' });
    const steps = stepsOf(call);
    const onPhone = await phone!.incoming.next('the REQUEST on the phone');
    const onLaptop = await laptop!.incoming.next('the REQUEST on the laptop');
    expect([onPhone.peer, onPhone.userStr, onLaptop.peer, onLaptop.userStr]).toEqual(['alice', 'hello', 'alice', 'hello']);
    expect(onPhone.callId).toBe(onLaptop.callId);
    await until(steps, 'ringing');

    await onLaptop.accept();
    const started = await alice!.events.next('REQUEST→REPLY 0');
    expect(summary(started)).toBe('REPLY bob 0');
    const aliceStart = await alice!.events.next('START at alice');
    expect(summary(await laptop!.events.next('REQUEST at the laptop'))).toBe('REQUEST alice 0');
    const laptopStart = await laptop!.events.next('START at the laptop');
    expect(laptopStart.param).toBe(aliceStart.param);
    expect(onLaptop.state).toBe('talking');

    expect(summary(await phone!.events.next('REQUEST at the phone'))).toBe('REQUEST alice 0');
    expect(summary(await phone!.events.next('FINISH at the phone'))).toBe(`FINISH alice ${ErrorCode.ANSWERED_ELSEWHERE}`);
    expect(onPhone.state).toBe('ended');
    expect(onPhone.endCode).toBe(ErrorCode.ANSWERED_ELSEWHERE);
    const elsewhere = await phone!.elsewhere.next('the call elsewhere');
    expect(elsewhere).toMatchObject({ callId: onPhone.callId, peer: 'alice', direction: 'incoming', state: 'talking', device: 'bob-device-2' });
    expect(phone!.client.callElsewhere?.callId).toBe(onPhone.callId);
    expect(phone!.client.currentCall).toBeNull();

    // The caller heard one REQUEST → one outcome; the phone hears nothing more of the call's talk.
    await call.hangup();
    expect(summary(await laptop!.events.next('FINISH at the laptop'))).toBe('FINISH alice 0');
    expect(await phone!.elsewhere.next('the call over')).toBeNull();
    expect(summary(await alice!.events.next('FINISH at alice'))).toBe('FINISH bob 0');
    expect(await phone!.events.drain(100)).toEqual([]);
    expect(await alice!.events.drain(0)).toEqual([]);
  });

  it('three devices: all ring, the third answers, the other two stop with ANSWERED_ELSEWHERE', async () => {
    const server = await servers.start();
    const [alice] = await devicesOf(server, 'alice', 1);
    const bobs = await devicesOf(server, 'bob', 3);
    alice!.client.call('bob');
    const calls = await Promise.all(bobs.map((device) => device.incoming.next(`${device.deviceId} rings`)));
    await calls[2]!.accept();
    await alice!.events.next('REPLY 0');
    expect(summary(await alice!.events.next('START'))).toBe('START bob 0');
    for (const call of calls.slice(0, 2)) {
      await new Promise<void>((resolve) => (call.isLive ? call.once('ended', () => resolve()) : resolve()));
      expect(call.endCode).toBe(ErrorCode.ANSWERED_ELSEWHERE);
    }
    await new Promise<void>((resolve) => (calls[2]!.state === 'talking' ? resolve() : calls[2]!.once('started', () => resolve())));
    for (const device of bobs.slice(0, 2)) expect((await device.elsewhere.next('elsewhere'))?.device).toBe('bob-device-3');
    expect(await bobs[2]!.elsewhere.drain(100)).toEqual([]);
  });

  it('answers racing from two devices, 30 times: exactly one START at the callee and at the caller each time, and the loser hears ANSWERED_ELSEWHERE', { timeout: 60_000 }, async () => {
    const server = await servers.start();
    const [alice] = await devicesOf(server, 'alice', 1);
    const [phone, laptop] = await devicesOf(server, 'bob', 2);
    for (let round = 1; round <= 30; round++) {
      alice!.client.videoCallControl(VideoCallEvent.REQUEST, 'bob', 0, 3, round);
      const [a, b] = await Promise.all([phone!.incoming.next(`round ${round} phone`), laptop!.incoming.next(`round ${round} laptop`)]);
      const answers = await Promise.allSettled([a.accept(), b.accept()]);
      // One REPLY 0 wins; the other is about a call that its device no longer takes part in.
      expect(answers.filter((answer) => answer.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
      for (const answer of answers) if (answer.status === 'rejected') expect((answer.reason as { code: number }).code).toBe(ErrorCode.NOTINCALL);
      await alice!.events.next('REPLY 0');
      const start = await alice!.events.next('START');
      expect(start.event).toBe(VideoCallEvent.START);
      // (Were both to start, this would never hold.)
      await waitUntil(`round ${round}: one device talking, the other stopped`, () => [a, b].filter((call) => call.state === 'talking').length === 1 && !(a.isLive && b.isLive));
      const winner = a.state === 'talking' ? a : b;
      const loser = winner === a ? b : a;
      expect(loser.endCode).toBe(ErrorCode.ANSWERED_ELSEWHERE);
      expect(winner.roomId).toBe(start.param);
      alice!.client.videoCallControl(VideoCallEvent.FINISH, 'bob');
      expect((await alice!.events.next('FINISH')).event).toBe(VideoCallEvent.FINISH);
      await new Promise<void>((resolve) => (winner.isLive ? winner.once('ended', () => resolve()) : resolve()));
      const starts = [...(await phone!.events.drain(0)), ...(await laptop!.events.drain(0))].filter((e) => e.event === VideoCallEvent.START);
      expect(starts).toHaveLength(1);
    }
    // Only START, never two, reached alice in all rounds (each round's events were taken in order).
    expect(await alice!.events.drain(100)).toEqual([]);
  });

  it('a refusal from one device refuses the call: the caller gets REPLY with its code, the other devices stop ringing with it', async () => {
    const server = await servers.start();
    const [alice] = await devicesOf(server, 'alice', 1);
    const bobs = await devicesOf(server, 'bob', 3);
    const call = alice!.client.call('bob');
    const calls = await Promise.all(bobs.map((device) => device.incoming.next('ringing')));
    await calls[0]!.reject(ErrorCode.BUSY);
    await new Promise<void>((resolve) => (call.isLive ? call.once('ended', () => resolve()) : resolve()));
    expect(call.endCode).toBe(ErrorCode.BUSY);
    for (const other of calls.slice(1)) {
      await new Promise<void>((resolve) => (other.isLive ? other.once('ended', () => resolve()) : resolve()));
      expect(other.endCode).toBe(ErrorCode.BUSY);
    }
    // bob is free again on every device: the next call rings them all.
    alice!.client.call('bob');
    await Promise.all(bobs.map((device) => device.incoming.next('ringing again')));
  });

  it('a caller who gives up stops the ringing on every device; a device that signs in while the call rings rings too', async () => {
    const server = await servers.start();
    const [alice] = await devicesOf(server, 'alice', 1);
    const [phone] = await devicesOf(server, 'bob', 1);
    const call = alice!.client.call('bob');
    const onPhone = await phone!.incoming.next('ringing');
    const tablet = await DeviceUser.connect(server, 'bob', 'bob-tablet', { node: 1 });
    servers.opened.push(tablet);
    const onTablet = await tablet.incoming.next('the REQUEST on the device that came during the ringing');
    expect(onTablet.callId).toBe(onPhone.callId);
    await call.hangup();
    for (const ringing of [onPhone, onTablet]) {
      await new Promise<void>((resolve) => (ringing.isLive ? ringing.once('ended', () => resolve()) : resolve()));
      expect(ringing.endCode).toBe(ErrorCode.CANCEL);
    }
  });

  it('the caller’s other devices see its outgoing call as it goes, and a REPLY or FINISH from them is NOTINCALL', async () => {
    const server = await servers.start();
    const [laptop, phone] = await devicesOf(server, 'alice', 2);
    const [bob] = await devicesOf(server, 'bob', 1);
    laptop!.client.call('bob');
    expect(await phone!.elsewhere.next('dialing')).toMatchObject({ direction: 'outgoing', peer: 'bob', state: 'dialing', device: 'alice-device-1' });
    expect(await phone!.elsewhere.next('ringing')).toMatchObject({ state: 'ringing' });
    const incoming = await bob!.incoming.next('ringing');
    await incoming.accept();
    expect(await phone!.elsewhere.next('talking')).toMatchObject({ state: 'talking' });
    // The phone may hear of the START before bob's own device does (another node on Redis).
    await new Promise<void>((resolve) => (incoming.state === 'talking' ? resolve() : incoming.once('started', () => resolve())));

    phone!.client.videoCallControl(VideoCallEvent.FINISH, 'bob');
    expect((await phone!.errors.next('NOTINCALL')).code).toBe(ErrorCode.NOTINCALL);
    expect(incoming.state).toBe('talking');
    await incoming.hangup();
    expect(await phone!.elsewhere.next('ended')).toBeNull();
    expect(await phone!.events.drain(50)).toEqual([]);
  });
});
