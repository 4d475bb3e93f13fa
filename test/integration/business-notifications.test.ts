import { describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import type { RunningServer, ServerOptions } from '@callgate/server';
import { serversPerTest, waitUntil } from '../support/servers.js';
import { TestBusiness, type HeardEvent } from '../support/test-business.js';
import { TestUser } from '../support/test-user.js';

const { REQUEST, REPLY, START, FINISH } = VideoCallEvent;

let server: RunningServer | undefined;
const tests = serversPerTest<{ close(): Promise<void> }>();
const opened = tests.opened;

async function setup(
  names: string[],
  options: Partial<ServerOptions> = {},
): Promise<{ users: Record<string, TestUser>; biz: TestBusiness }> {
  server = await tests.start(options);
  const biz = await TestBusiness.connect(server);
  opened.push(biz);
  const users: Record<string, TestUser> = {};
  for (const name of names) {
    users[name] = await TestUser.connect(server, name);
    opened.push(users[name]);
  }
  return { users, biz };
}

type Heard = Pick<HeardEvent, 'event' | 'src' | 'tar' | 'errorCode'> & Partial<HeardEvent>;

/** The next `count` events the business heard, all of one call. */
async function heardCall(biz: TestBusiness, count: number): Promise<HeardEvent[]> {
  const events: HeardEvent[] = [];
  for (let i = 0; i < count; i++) events.push(await biz.events.next(`business event ${i + 1} of ${count}`));
  expect(new Set(events.map((e) => e.details.callId)).size, 'one call').toBe(1);
  return events;
}

const shape = (events: HeardEvent[]): Heard[] =>
  events.map(({ event, src, tar, errorCode }) => ({ event, src, tar, errorCode }));


describe('business notifications: every step of every call, in order, with src and tar', () => {
  it('a whole call: REQUEST, REPLY 0 (ringing), START with the roomId, FINISH from whoever hung up', async () => {
    const { users, biz } = await setup(['alice', 'bob']);
    const { alice, bob } = users as { alice: TestUser; bob: TestUser };
    alice.client.videoCallControl(REQUEST, 'bob', 0, 3, 9, 'order #7');
    await bob.events.next('REQUEST');
    bob.client.videoCallControl(REPLY, 'alice', 0, 0, 0, 'hello from bob');
    const roomId = (await alice.events.next('REPLY 0').then(() => alice.events.next('START'))).param;
    bob.client.videoCallControl(FINISH, 'alice', 0, 0, 0, 'bye');
    await alice.events.next('FINISH');

    const events = await heardCall(biz, 4);
    expect(shape(events)).toEqual([
      { event: REQUEST, src: 'alice', tar: 'bob', errorCode: 0 },
      { event: REPLY, src: 'bob', tar: 'alice', errorCode: 0 },
      { event: START, src: 'alice', tar: 'bob', errorCode: 0 },
      { event: FINISH, src: 'bob', tar: 'alice', errorCode: 0 },
    ]);
    expect(events[0]).toMatchObject({ flags: 3, param: 9, userStr: 'order #7' });
    expect(events[1]!.details.decide).toBe(false);
    expect(events[2]).toMatchObject({ flags: 3, param: roomId, userStr: 'hello from bob' });
    expect(events[3]).toMatchObject({ userStr: 'bye' });
    const times = events.map((e) => e.details.at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('each way a call ends is heard once, as the caller heard it', async () => {
    const { users, biz } = await setup(['alice', 'bob', 'carol'], { ringTimeoutMs: 300, graceMs: 300 });
    const { alice, bob, carol } = users as { alice: TestUser; bob: TestUser; carol: TestUser };
    const ringAt = async (caller: TestUser, callee: TestUser): Promise<void> => {
      caller.client.videoCallControl(REQUEST, callee.userId);
      await callee.events.next('REQUEST');
      await caller.events.next('REPLY 0');
    };

    // the callee refuses
    await ringAt(alice, bob);
    bob.client.videoCallControl(REPLY, 'alice', ErrorCode.REJECT, 0, 0, 'in a meeting');
    await alice.events.next('REPLY refused');
    const refused = await heardCall(biz, 3);
    expect(shape(refused).at(-1)).toEqual({ event: REPLY, src: 'bob', tar: 'alice', errorCode: ErrorCode.REJECT });
    expect(refused.at(-1)!.userStr).toBe('in a meeting');

    // the caller gives up
    await ringAt(alice, bob);
    alice.client.videoCallControl(FINISH, 'bob', 0, 0, 0, 'changed my mind');
    await bob.events.next('FINISH');
    const cancelled = await heardCall(biz, 3);
    expect(shape(cancelled).at(-1)).toEqual({ event: FINISH, src: 'alice', tar: 'bob', errorCode: ErrorCode.CANCEL });
    expect(cancelled.at(-1)!.userStr).toBe('changed my mind');

    // nobody answers
    await ringAt(alice, bob);
    await alice.events.next('REPLY TIMEOUT');
    expect(shape(await heardCall(biz, 3)).at(-1)).toEqual({ event: REPLY, src: 'bob', tar: 'alice', errorCode: ErrorCode.TIMEOUT });
    await bob.events.next('FINISH TIMEOUT');

    // refused at once: offline, busy; the business is not asked
    alice.client.videoCallControl(REQUEST, 'nobody');
    await alice.events.next('REPLY OFFLINE');
    expect(shape(await heardCall(biz, 1))).toEqual([{ event: REPLY, src: 'nobody', tar: 'alice', errorCode: ErrorCode.OFFLINE }]);
    await ringAt(alice, bob);
    carol.client.videoCallControl(REQUEST, 'bob');
    await carol.events.next('REPLY BUSY');
    const [busyRequest, busyRinging] = await heardCall(biz, 2);
    expect(busyRequest!.event).toBe(REQUEST);
    expect(busyRinging!.event).toBe(REPLY);
    expect(shape(await heardCall(biz, 1))).toEqual([{ event: REPLY, src: 'bob', tar: 'carol', errorCode: ErrorCode.BUSY }]);

    // a party is lost while talking
    bob.client.videoCallControl(REPLY, 'alice', 0);
    await bob.events.next('START');
    await alice.events.next('START');
    expect((await biz.events.next('START')).event).toBe(START);
    bob.drop();
    await alice.events.next('FINISH DISCONNECT', 3000);
    expect(shape(await heardCall(biz, 1))).toEqual([{ event: FINISH, src: 'bob', tar: 'alice', errorCode: ErrorCode.DISCONNECT }]);
  });

  it('a vetoed REQUEST ends with the business code as REPLY, like the caller heard it', async () => {
    const { users, biz } = await setup(['alice', 'bob']);
    biz.decide = () => 7001;
    users.alice!.client.videoCallControl(REQUEST, 'bob');
    await users.alice!.events.next('REPLY 7001');
    expect(shape(await heardCall(biz, 2))).toEqual([
      { event: REQUEST, src: 'alice', tar: 'bob', errorCode: 0 },
      { event: REPLY, src: 'bob', tar: 'alice', errorCode: 7001 },
    ]);
  });

  it('a business FINISH is heard as FINISH from the caller to the callee with the code', async () => {
    const { users, biz } = await setup(['alice', 'bob']);
    users.alice!.client.videoCallControl(REQUEST, 'bob');
    await users.bob!.events.next('REQUEST');
    expect(await biz.client.videoCallControl(FINISH, 'bob', 8001, 0, 0, 'closing time')).toBe(0);
    const events = await heardCall(biz, 3);
    expect(shape(events).at(-1)).toEqual({ event: FINISH, src: 'alice', tar: 'bob', errorCode: 8001 });
    expect(events.at(-1)!.userStr).toBe('closing time');
  });

  it('the callbacks of one call run one after another, even when they are slow', async () => {
    const { users, biz } = await setup(['alice', 'bob']);
    const log: string[] = [];
    biz.client.setOnVideoCallEventCallback(async (event) => {
      log.push(`start ${event}`);
      await new Promise((resolve) => setTimeout(resolve, event === REPLY ? 300 : 10));
      log.push(`end ${event}`);
      return 0;
    });
    users.alice!.client.videoCallControl(REQUEST, 'bob');
    await users.bob!.events.next('REQUEST');
    users.alice!.client.videoCallControl(FINISH, 'bob');
    await users.bob!.events.next('FINISH');
    await waitUntil('six callback steps', () => log.length >= 6, 2000);
    expect(log).toEqual([`start ${REQUEST}`, `end ${REQUEST}`, `start ${REPLY}`, `end ${REPLY}`, `start ${FINISH}`, `end ${FINISH}`]);
  });
});
