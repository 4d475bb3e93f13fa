import { describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent, type Call } from '@callgate/client';
import { DeviceUser, rawDevice } from '../support/device-user.js';
import { nextOfType } from '../support/raw-user.js';
import type { RawSocket } from '../support/raw-socket.js';
import { serversPerTest, type TestServer } from '../support/servers.js';

const servers = serversPerTest<{ close(): unknown }>();

async function device(server: TestServer, userId: string, deviceId: string, node: number): Promise<DeviceUser> {
  const opened = await DeviceUser.connect(server, userId, deviceId, { node });
  servers.opened.push(opened);
  return opened;
}

async function raw(server: TestServer, userId: string, deviceId: string, node: number): Promise<RawSocket> {
  const socket = await rawDevice(server, userId, deviceId, node);
  servers.opened.push(socket);
  return socket;
}

const ended = (call: Call): Promise<number> =>
  new Promise((resolve) => (call.isLive ? call.once('ended', (code) => resolve(code)) : resolve(call.endCode ?? -1)));

/** `caller` calls `callee`'s devices; `answering` accepts. Resolves with both Calls once talking. */
async function talking(caller: DeviceUser, answering: DeviceUser): Promise<{ outgoing: Call; incoming: Call }> {
  const outgoing = caller.client.call(answering.userId);
  const incoming = await answering.incoming.next('ringing');
  await incoming.accept();
  await new Promise<void>((resolve) => (outgoing.state === 'talking' ? resolve() : outgoing.once('started', () => resolve())));
  return { outgoing, incoming };
}

describe('moving a call to another device of the same user', () => {
  it('the callee takes its call to its laptop: the phone’s call ends MOVED, the laptop starts in the same room, the caller hears no FINISH', async () => {
    const server = await servers.start();
    const alice = await device(server, 'alice', 'alice-1', 0);
    const phone = await device(server, 'bob', 'bob-phone', 1);
    const laptop = await device(server, 'bob', 'bob-laptop', 2);
    const { outgoing, incoming } = await talking(alice, phone);
    await laptop.incoming.next('the laptop rang too');
    const elsewhere = await laptop.elsewhere.next('the call on the phone');
    expect(elsewhere).toMatchObject({ peer: 'alice', direction: 'incoming', state: 'talking', device: 'bob-phone' });
    alice.events.clear();

    const here = await elsewhere!.moveHere();
    expect(here).toMatchObject({ peer: 'alice', direction: 'incoming', state: 'talking', roomId: outgoing.roomId, callId: outgoing.callId });
    expect(laptop.client.currentCall).toBe(here);
    expect(laptop.client.callElsewhere).toBeNull();
    expect(await ended(incoming)).toBe(ErrorCode.MOVED);
    expect((await phone.elsewhere.next('the call now on the laptop'))?.device).toBe('bob-laptop');
    expect(outgoing.state).toBe('talking');
    expect(await alice.events.drain(200)).toEqual([]);

    // The call goes on from the laptop: the caller's hang-up reaches it, and only it.
    await outgoing.hangup();
    expect(await ended(here)).toBe(0);
    expect(await phone.elsewhere.next('over')).toBeNull();
    // The phone's seed callback heard the call up to its move, and nothing after.
    expect((await phone.events.drain(100)).map((e) => [e.event, e.errorCode])).toEqual([
      [VideoCallEvent.REQUEST, 0],
      [VideoCallEvent.START, 0],
      [VideoCallEvent.FINISH, ErrorCode.MOVED],
    ]);
  });

  it('the caller moves its call: the callee gets a `moved` signal (to start its media afresh) and no FINISH; signals then go to and from the new device only', async () => {
    const server = await servers.start();
    const laptop = await raw(server, 'alice', 'alice-laptop', 0);
    const phone = await raw(server, 'alice', 'alice-phone', 1);
    const bob = await raw(server, 'bob', 'bob-1', 2);
    laptop.send({ type: 'control', id: 'r1', event: VideoCallEvent.REQUEST, userId: 'bob', flags: 3 });
    await nextOfType(bob, 'event', 'REQUEST');
    bob.send({ type: 'control', id: 'a1', event: VideoCallEvent.REPLY, userId: 'alice', errorCode: 0 });
    const start = await nextOfType(laptop, 'event', 'REPLY 0');
    expect(start.event).toBe(VideoCallEvent.REPLY);
    const roomId = (await nextOfType(laptop, 'event', 'START')).param as number;
    await nextOfType(bob, 'event', 'START');
    for (;;) if ((await nextOfType(phone, 'elsewhere', 'talking elsewhere')).phase === 'talking') break;

    // A device that does not take part may not signal.
    phone.send({ type: 'signal', roomId, data: { kind: 'restart' } });
    expect(await nextOfType(phone, 'error', 'NOT_IN_ROOM')).toMatchObject({ code: ErrorCode.NOT_IN_ROOM });

    phone.send({ type: 'call.move', id: 'm1' });
    expect(await nextOfType(phone, 'event', 'START on the phone')).toMatchObject({ event: VideoCallEvent.START, param: roomId, userId: 'bob' });
    expect(await nextOfType(laptop, 'event', 'FINISH on the laptop')).toMatchObject({ event: VideoCallEvent.FINISH, errorCode: ErrorCode.MOVED });
    expect(await nextOfType(bob, 'signal', 'the moved signal')).toEqual({ type: 'signal', roomId, from: 'alice', data: { kind: 'moved' } });

    phone.send({ type: 'signal', roomId, data: { kind: 'offer', sdp: 'v=0 from the phone' } });
    expect(await nextOfType(bob, 'signal', 'the phone’s offer')).toMatchObject({ from: 'alice', data: { kind: 'offer', sdp: 'v=0 from the phone' } });
    bob.send({ type: 'signal', roomId, data: { kind: 'answer', sdp: 'v=0 from bob' } });
    expect(await nextOfType(phone, 'signal', 'bob’s answer')).toMatchObject({ from: 'bob', data: { kind: 'answer' } });
    laptop.send({ type: 'signal', roomId, data: { kind: 'offer', sdp: 'v=0 stale' } });
    expect(await nextOfType(laptop, 'error', 'NOT_IN_ROOM')).toMatchObject({ code: ErrorCode.NOT_IN_ROOM });

    // A client cannot make up a `moved` signal: only the server says it.
    bob.send({ type: 'signal', roomId, data: { kind: 'moved' } });
    expect(await nextOfType(bob, 'error', 'MALFORMED')).toMatchObject({ code: ErrorCode.MALFORMED });

    bob.send({ type: 'control', id: 'f1', event: VideoCallEvent.FINISH, userId: 'alice' });
    expect(await nextOfType(phone, 'event', 'FINISH on the phone')).toMatchObject({ event: VideoCallEvent.FINISH, errorCode: 0 });
    // bob heard one FINISH: the answer to its own hang-up.
    const bobSaw = await bob.messages.drain(100);
    expect(bobSaw.filter((m) => m.type === 'event' && m.event === VideoCallEvent.FINISH).map((m) => m.errorCode)).toEqual([0]);
  });

  it('moves back and forth: each time one device takes part, and a move to the device already in the call changes nothing', async () => {
    const server = await servers.start();
    const alice = await device(server, 'alice', 'alice-1', 0);
    const phone = await device(server, 'bob', 'bob-phone', 1);
    const laptop = await device(server, 'bob', 'bob-laptop', 2);
    const { outgoing, incoming } = await talking(alice, phone);
    expect(await phone.client.moveCallHere()).toBe(incoming);
    let current = incoming;
    for (const [to, from] of [[laptop, phone], [phone, laptop], [laptop, phone]] as const) {
      const moved = await to.client.moveCallHere();
      expect(await ended(current)).toBe(ErrorCode.MOVED);
      expect(moved.roomId).toBe(outgoing.roomId);
      expect(from.client.currentCall).toBeNull();
      current = moved;
    }
    expect(outgoing.state).toBe('talking');
    await current.hangup();
    expect(await ended(outgoing)).toBe(0);
  });

  it('moveHere with no started call to move is refused with NOTINCALL: with no call, and while the call only rings', async () => {
    const server = await servers.start();
    const alice = await device(server, 'alice', 'alice-1', 0);
    const phone = await device(server, 'bob', 'bob-phone', 1);
    await expect(phone.client.moveCallHere()).rejects.toMatchObject({ code: ErrorCode.NOTINCALL });
    alice.client.call('bob');
    await phone.incoming.next('ringing');
    await expect(phone.client.moveCallHere()).rejects.toMatchObject({ code: ErrorCode.NOTINCALL, codeName: 'NOTINCALL' });
    await expect(alice.client.moveCallHere()).rejects.toMatchObject({ code: ErrorCode.NOTINCALL });
  });
});
