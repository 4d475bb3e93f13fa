import { describe, expect, it } from 'vitest';
import { BusinessClient } from '@callgate/business';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import type { RunningServer, ServerOptions } from '@callgate/server';
import { TEST_BUSINESS_SECRET, TEST_SECRET, serversPerTest } from '../support/servers.js';
import { TestBusiness } from '../support/test-business.js';
import { TestUser } from '../support/test-user.js';

const { REQUEST, REPLY } = VideoCallEvent;

let server: RunningServer | undefined;
const tests = serversPerTest<{ close(): Promise<void> | void }>();
const opened = tests.opened;

async function setup(options: Partial<ServerOptions> = {}): Promise<{ alice: TestUser; bob: TestUser }> {
  server = await tests.start(options);
  const alice = await TestUser.connect(server, 'alice');
  const bob = await TestUser.connect(server, 'bob');
  opened.push(alice, bob);
  return { alice, bob };
}

async function business(name = 'business'): Promise<TestBusiness> {
  if (!server) throw new Error('no server');
  const created = await TestBusiness.connect(server, name);
  opened.push(created);
  return created;
}

/** A promise the test settles by hand. */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function expectRings(alice: TestUser, bob: TestUser): Promise<void> {
  expect(await bob.events.next('REQUEST at bob')).toMatchObject({ event: REQUEST, userId: 'alice' });
  expect(await alice.events.next('REPLY 0 at alice')).toMatchObject({ event: REPLY, userId: 'bob', errorCode: 0 });
}

async function expectRefused(alice: TestUser, bob: TestUser, code: number): Promise<void> {
  expect(await alice.events.next(`REPLY ${code} at alice`)).toMatchObject({ event: REPLY, userId: 'bob', errorCode: code });
  expect(await bob.events.drain(300), 'bob never rings').toEqual([]);
}


describe('the business veto on REQUEST', () => {
  it('asks the business server before the callee rings; 0 lets the call ring', async () => {
    const { alice, bob } = await setup();
    const biz = await business();
    expect(alice.client.videoCallControl(REQUEST, 'bob', 0, 3, 77, 'order #1')).toBe(0);
    const asked = await biz.events.next('REQUEST at the business');
    expect(asked).toMatchObject({ event: REQUEST, src: 'alice', tar: 'bob', errorCode: 0, flags: 3, param: 77, userStr: 'order #1' });
    expect(asked.details.decide).toBe(true);
    expect(await bob.events.next('REQUEST at bob')).toMatchObject({ event: REQUEST, userId: 'alice', flags: 3, param: 77, userStr: 'order #1' });
    expect(await alice.events.next('REPLY 0')).toMatchObject({ event: REPLY, errorCode: 0 });
  });

  it('refuses with the business code: the caller gets REPLY with it, the callee never rings, both stay free', async () => {
    const { alice, bob } = await setup();
    const biz = await business();
    biz.decide = () => 7001;
    alice.client.videoCallControl(REQUEST, 'bob');
    await expectRefused(alice, bob, 7001);
    biz.decide = () => 0;
    alice.client.videoCallControl(REQUEST, 'bob');
    await expectRings(alice, bob);
  });

  it('waits for an asynchronous decision: nothing rings until the promise resolves', async () => {
    const { alice, bob } = await setup();
    const biz = await business();
    const decision = deferred<number>();
    biz.decide = () => decision.promise;
    alice.client.videoCallControl(REQUEST, 'bob');
    await biz.events.next('REQUEST at the business');
    expect(await bob.events.drain(300), 'bob does not ring while the business decides').toEqual([]);
    expect(await alice.events.drain(0), 'alice hears nothing while the business decides').toEqual([]);
    decision.resolve(0);
    await expectRings(alice, bob);
  });

  it('an asynchronous refusal refuses', async () => {
    const { alice, bob } = await setup();
    const biz = await business();
    biz.decide = () => new Promise((resolve) => setTimeout(() => resolve(7002), 100));
    alice.client.videoCallControl(REQUEST, 'bob');
    await expectRefused(alice, bob, 7002);
  });

  it('no decision in time refuses the call with BUSINESS_UNAVAILABLE', async () => {
    const { alice, bob } = await setup({ businessTimeoutMs: 300 });
    const biz = await business();
    biz.decide = () => new Promise<number>(() => {});
    alice.client.videoCallControl(REQUEST, 'bob');
    await expectRefused(alice, bob, ErrorCode.BUSINESS_UNAVAILABLE);
  });

  it('no decision in time lets the call ring when the server fails open', async () => {
    const { alice, bob } = await setup({ businessTimeoutMs: 300, businessFailOpen: true });
    const biz = await business();
    biz.decide = () => new Promise<number>(() => {});
    alice.client.videoCallControl(REQUEST, 'bob');
    await expectRings(alice, bob);
  });

  it('a callback that throws refuses with BUSINESS_UNAVAILABLE, and the SDK reports why', async () => {
    const { alice, bob } = await setup();
    const biz = await business();
    biz.decide = () => {
      throw new Error('customer database down');
    };
    alice.client.videoCallControl(REQUEST, 'bob');
    await expectRefused(alice, bob, ErrorCode.BUSINESS_UNAVAILABLE);
    const error = await biz.errors.next('callback error');
    expect(error.message).toMatch(/customer database down/);
  });

  it('a callback that throws lets the call ring when the server fails open', async () => {
    const { alice, bob } = await setup({ businessFailOpen: true });
    const biz = await business();
    biz.decide = () => Promise.reject(new Error('boom'));
    alice.client.videoCallControl(REQUEST, 'bob');
    await expectRings(alice, bob);
  });

  it('a callback that returns no number for REQUEST is a failure, not a yes', async () => {
    const { alice, bob } = await setup();
    const biz = await business();
    biz.decide = () => undefined as unknown as number;
    alice.client.videoCallControl(REQUEST, 'bob');
    await expectRefused(alice, bob, ErrorCode.BUSINESS_UNAVAILABLE);
    expect((await biz.errors.next('callback error')).message).toMatch(/returned undefined for REQUEST/);
  });

  it('without a business server the core decides alone, also after the last one left', async () => {
    const { alice, bob } = await setup({ businessTimeoutMs: 300 });
    alice.client.videoCallControl(REQUEST, 'bob');
    await expectRings(alice, bob);
    alice.client.videoCallControl(VideoCallEvent.FINISH, 'bob');
    await alice.events.next('FINISH');
    await bob.events.next('FINISH');

    const biz = await business();
    biz.decide = () => 7003;
    await biz.close();
    alice.client.videoCallControl(REQUEST, 'bob');
    await expectRings(alice, bob);
  });

  it('a business client with no callback lets every call ring', async () => {
    const { alice, bob } = await setup();
    const silent = new BusinessClient({ url: server!.url, secret: TEST_BUSINESS_SECRET });
    opened.push(silent);
    await silent.connect();
    alice.client.videoCallControl(REQUEST, 'bob');
    await expectRings(alice, bob);
  });

  it('refuses a wrong business secret (UNAUTHORIZED) and the users’ token secret', async () => {
    await setup();
    for (const secret of ['not-the-secret', TEST_SECRET]) {
      const intruder = new BusinessClient({ url: server!.url, secret });
      await expect(intruder.connect()).rejects.toMatchObject({ code: ErrorCode.UNAUTHORIZED, codeName: 'UNAUTHORIZED' });
      expect(intruder.connectionState).toBe('disconnected');
    }
  });

  it('a server without a business secret has no business link', async () => {
    server = await tests.start({ businessSecret: undefined });
    const client = new BusinessClient({ url: server.url, secret: TEST_BUSINESS_SECRET });
    await expect(client.connect()).rejects.toMatchObject({ code: ErrorCode.NOT_CONNECTED, message: expect.stringMatching(/--business-secret/) });
  });

  it('refuses to start with the token secret as business secret', async () => {
    await expect(tests.start({ businessSecret: TEST_SECRET })).rejects.toThrow(/must differ from the token secret/);
  });
});
