import { describe, expect, it } from 'vitest';
import { VideoCallEvent } from '@callgate/client';
import type { RunningServer } from '@callgate/server';
import { serversPerTest, sleep, waitUntil } from '../support/servers.js';
import { TestBusiness, type HeardEvent } from '../support/test-business.js';
import { TestUser } from '../support/test-user.js';

const { REQUEST, REPLY, START, FINISH } = VideoCallEvent;

let server: RunningServer | undefined;
const tests = serversPerTest<{ close(): Promise<void> }>();
const opened = tests.opened;

async function user(userId: string): Promise<TestUser> {
  const created = await TestUser.connect(server!, userId);
  opened.push(created);
  return created;
}

async function business(name: string): Promise<TestBusiness> {
  const created = await TestBusiness.connect(server!, name);
  opened.push(created);
  return created;
}

/** A whole call: ring, accept, hang up; resolves when both have heard FINISH. */
async function wholeCall(caller: TestUser, callee: TestUser): Promise<void> {
  caller.client.videoCallControl(REQUEST, callee.userId);
  await callee.events.next('REQUEST');
  await caller.events.next('REPLY 0');
  callee.client.videoCallControl(REPLY, caller.userId, 0);
  await caller.events.next('START');
  await callee.events.next('START');
  caller.client.videoCallControl(FINISH, callee.userId);
  await caller.events.next('FINISH');
  await callee.events.next('FINISH');
}

const kinds = (events: HeardEvent[]): number[] => events.map((e) => e.event);


describe('several business servers', () => {
  it('each event goes to exactly one of them; a call stays with one; calls take turns', async () => {
    server = await tests.start();
    const [b1, b2] = [await business('b1'), await business('b2')];
    const [alice, bob] = [await user('alice'), await user('bob')];
    for (let i = 0; i < 4; i++) await wholeCall(alice, bob);
    await waitUntil('16 events', () => b1.heard.length + b2.heard.length >= 16);
    await sleep(100);
    const all = [...b1.heard, ...b2.heard];
    expect(all).toHaveLength(16);
    expect(new Set(all.map((e) => e.details.eventId)).size).toBe(16);
    for (const b of [b1, b2]) {
      expect(b.heard.length, `${b.name} handled some calls`).toBeGreaterThan(0);
      const calls = new Set(b.heard.map((e) => e.details.callId));
      for (const callId of calls) {
        expect(kinds(b.heard.filter((e) => e.details.callId === callId)), `call ${callId} at ${b.name}`).toEqual([REQUEST, REPLY, START, FINISH]);
      }
    }
  });

  it('when the one deciding leaves, the other gets the same REQUEST and every later event', async () => {
    server = await tests.start();
    const [b1, b2] = [await business('b1'), await business('b2')];
    const [alice, bob] = [await user('alice'), await user('bob')];
    b1.decide = b2.decide = () => new Promise<number>(() => {});
    alice.client.videoCallControl(REQUEST, 'bob', 0, 0, 0, 'help');
    await waitUntil('one business server to be asked', () => b1.heard.length + b2.heard.length === 1);
    const [holder, survivor] = b1.heard.length === 1 ? [b1, b2] : [b2, b1];
    const asked = holder.heard[0]!;
    survivor.decide = () => 0;
    await holder.close();

    const again = await survivor.events.next('the REQUEST handed over');
    expect(again).toMatchObject({ event: REQUEST, src: 'alice', tar: 'bob', userStr: 'help' });
    expect(again.details).toMatchObject({ eventId: asked.details.eventId, callId: asked.details.callId, decide: true });
    expect(await bob.events.next('REQUEST at bob')).toMatchObject({ event: REQUEST, userId: 'alice' });
    expect(await alice.events.next('REPLY 0')).toMatchObject({ event: REPLY, errorCode: 0 });
    bob.client.videoCallControl(REPLY, 'alice', 0);
    await alice.events.next('START');
    bob.client.videoCallControl(FINISH, 'alice');
    await alice.events.next('FINISH');
    await waitUntil('the rest of the call at the survivor', () => survivor.heard.length === 4);
    expect(kinds(survivor.heard)).toEqual([REQUEST, REPLY, START, FINISH]);
    expect(holder.heard).toHaveLength(1);

    await wholeCall(alice, bob);
    await waitUntil('the next call at the survivor', () => survivor.heard.length === 8);
    expect(holder.heard).toHaveLength(1);
  });

  it('a link that drops before its ack gets the event again after reconnecting; the callback runs once', async () => {
    server = await tests.start();
    const biz = await business('b1');
    const [alice, bob] = [await user('alice'), await user('bob')];
    let allow!: (code: number) => void;
    biz.decide = () => new Promise<number>((resolve) => (allow = resolve));
    alice.client.videoCallControl(REQUEST, 'bob');
    await biz.events.next('REQUEST');
    biz.drop();
    allow(0);
    await sleep(100);
    await biz.reconnect();
    expect(await bob.events.next('REQUEST at bob, decided before the drop')).toMatchObject({ event: REQUEST, userId: 'alice' });
    expect(await alice.events.next('REPLY 0')).toMatchObject({ event: REPLY, errorCode: 0 });
    expect(await biz.events.next('the ringing notification')).toMatchObject({ event: REPLY, src: 'bob', tar: 'alice', errorCode: 0 });
    expect(kinds(biz.heard)).toEqual([REQUEST, REPLY]);
  });

  it('events of calls made while no business server was connected are delivered when one connects', async () => {
    server = await tests.start();
    const first = await business('first');
    await first.close();
    const [alice, bob] = [await user('alice'), await user('bob')];
    alice.client.videoCallControl(REQUEST, 'bob');
    await bob.events.next('REQUEST');
    bob.client.videoCallControl(REPLY, 'alice', 0);
    await bob.events.next('START');

    const late = await business('late');
    await waitUntil('three events', () => late.heard.length === 3);
    expect(kinds(late.heard)).toEqual([REQUEST, REPLY, START]);
    expect(late.heard[0]!.details.decide).toBe(false);
  });
});
