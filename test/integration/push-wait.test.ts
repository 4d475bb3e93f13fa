/**
 * Waking an offline callee (docs/business.md, "Waking a callee"): with a push hook, a REQUEST to a
 * user with no device waits for one to connect; the caller hears `waking`, then REPLY 0 when it
 * rings or REPLY OFFLINE at the end of the wait; the hook hears `wake`, and `cancelled` when the
 * wait ends without ringing. Runs on one node, on Redis and on three nodes (the callee connects to
 * another node than the caller).
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/protocol';
import type { ServerOptions } from '@callgate/server';
import { serversPerTest, sleep, type TestServer } from '../support/servers.js';
import { TestBusiness } from '../support/test-business.js';
import { WireUser } from '../support/wire-user.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const { REQUEST, REPLY, START, FINISH } = VideoCallEvent;
const tests = serversPerTest<{ close(): unknown }>();

/** The caller on the first node, the callee (later) on the last one. */
const callerNode = (server: TestServer) => server.nodes[0]!;
const calleeNode = (server: TestServer) => server.nodes[server.nodes.length - 1]!;

async function withPushHook(options: Partial<ServerOptions> = {}): Promise<{ server: TestServer; hook: TestBusiness; alice: WireUser }> {
  const server = await tests.start(options);
  const hook = await TestBusiness.connect(server, 'push-hook', { push: true });
  tests.opened.push(hook);
  const alice = await WireUser.connect(callerNode(server), 'alice');
  tests.opened.push(alice);
  return { server, hook, alice };
}

async function connectCallee(server: TestServer, userId = 'bob'): Promise<WireUser> {
  const callee = await WireUser.connect(calleeNode(server), userId);
  tests.opened.push(callee);
  return callee;
}

function call(caller: WireUser, callee: string, userStr = 'are you there?'): void {
  caller.socket.send({ type: 'control', id: `req-${callee}`, event: REQUEST, userId: callee, flags: 3, param: 7, userStr });
}

const eventsOf = (user: WireUser) => user.log.filter((m) => m.type === 'event');

describe('a call to a user with no device, with a push hook', () => {
  it('waits: the hook is asked to wake the callee, the caller hears waking (not REPLY 0), and it rings when the callee connects 1 s later', async () => {
    const { server, hook, alice } = await withPushHook({ offlineWaitMs: 10_000 });
    const before = Date.now();
    call(alice, 'bob');
    const waking = await alice.waitFor('waking', (m) => m.type === 'waking');
    expect(waking).toMatchObject({ userId: 'bob', pushed: true });
    expect(waking.until as number).toBeGreaterThanOrEqual(before + 10_000);
    const push = await hook.pushes.next('the wake');
    expect(push).toMatchObject({ step: 'wake', caller: 'alice', callee: 'bob', flags: 3, param: 7, userStr: 'are you there?', callId: waking.callId });
    expect(push.until).toBe(waking.until);

    await sleep(1000);
    expect(eventsOf(alice), 'nothing rings yet').toEqual([]);
    const bob = await connectCallee(server);
    expect(await bob.event(REQUEST)).toMatchObject({ userId: 'alice', flags: 3, param: 7, userStr: 'are you there?' });
    expect(await alice.event(REPLY)).toMatchObject({ userId: 'bob', errorCode: 0 });
    await bob.reply('alice');
    expect(await alice.event(START)).toMatchObject({ userId: 'bob' });
    expect(await bob.event(START)).toMatchObject({ userId: 'alice' });
    await sleep(200);
    expect(hook.pushes.size, 'no cancel once it rang').toBe(0);
  });

  it('rings when the callee connects 10 s later, within a 12 s wait', async () => {
    const { server, hook, alice } = await withPushHook({ offlineWaitMs: 12_000 });
    call(alice, 'bob');
    await alice.waitFor('waking', (m) => m.type === 'waking');
    await hook.pushes.next('the wake');
    await sleep(10_000);
    expect(eventsOf(alice)).toEqual([]);
    const bob = await connectCallee(server);
    expect(await bob.event(REQUEST)).toMatchObject({ userId: 'alice' });
    expect(await alice.event(REPLY)).toMatchObject({ errorCode: 0 });
  }, 30_000);

  it('when nobody comes: REPLY OFFLINE at the end of the wait, and the hook hears cancelled', async () => {
    const { hook, alice } = await withPushHook({ offlineWaitMs: 1000 });
    const before = Date.now();
    call(alice, 'bob');
    const wake = await hook.pushes.next('the wake');
    expect(await alice.event(REPLY, 'REPLY OFFLINE')).toMatchObject({ userId: 'bob', errorCode: ErrorCode.OFFLINE });
    expect(Date.now() - before).toBeGreaterThanOrEqual(900);
    expect(await hook.pushes.next('the cancel')).toMatchObject({ step: 'cancelled', callId: wake.callId, callee: 'bob' });
    // alice is free again: a new call waits afresh.
    call(alice, 'carol');
    expect(await hook.pushes.next('a new wake')).toMatchObject({ step: 'wake', callee: 'carol' });
  });

  it('the caller cancels during the wait: FINISH CANCEL, the hook hears cancelled, and the callee connecting later hears nothing', async () => {
    const { server, hook, alice } = await withPushHook({ offlineWaitMs: 10_000 });
    call(alice, 'bob');
    const wake = await hook.pushes.next('the wake');
    await alice.hangUp('bob');
    expect(await alice.event(FINISH)).toMatchObject({ userId: 'bob', errorCode: ErrorCode.CANCEL });
    expect(await hook.pushes.next('the cancel')).toMatchObject({ step: 'cancelled', callId: wake.callId });
    const bob = await connectCallee(server);
    await sleep(300);
    expect(eventsOf(bob)).toEqual([]);
    // Both are free: bob calls alice, who is connected, and it rings at once.
    bob.socket.send({ type: 'control', event: REQUEST, userId: 'alice' });
    expect(await alice.event(REQUEST)).toMatchObject({ userId: 'bob' });
    expect(await bob.event(REPLY)).toMatchObject({ errorCode: 0 });
  });

  it('the callee is busy while it is being woken; the caller is busy too', async () => {
    const { server, hook, alice } = await withPushHook({ offlineWaitMs: 10_000 });
    call(alice, 'bob');
    await hook.pushes.next('the wake');
    const carol = await WireUser.connect(calleeNode(server), 'carol');
    tests.opened.push(carol);
    carol.socket.send({ type: 'control', event: REQUEST, userId: 'bob' });
    expect(await carol.event(REPLY)).toMatchObject({ userId: 'bob', errorCode: ErrorCode.BUSY });
    call(alice, 'carol');
    expect(await alice.event(REPLY)).toMatchObject({ userId: 'carol', errorCode: ErrorCode.INCHAT });
  });

  it('a hook that turns pushes off: OFFLINE at once again', async () => {
    const { hook, alice } = await withPushHook({ offlineWaitMs: 10_000 });
    hook.client.setOnPushCallback(null);
    await sleep(1500); // the other nodes recount links at least every second
    call(alice, 'bob');
    expect(await alice.event(REPLY)).toMatchObject({ userId: 'bob', errorCode: ErrorCode.OFFLINE });
    expect(alice.log.some((m) => m.type === 'waking')).toBe(false);
  });
});

describe('without a push hook', () => {
  it('a call to a user with no device is OFFLINE at once, even with a business link that sends no pushes', async () => {
    const server = await tests.start({ offlineWaitMs: 10_000 });
    const business = await TestBusiness.connect(server);
    tests.opened.push(business);
    const alice = await WireUser.connect(callerNode(server), 'alice');
    tests.opened.push(alice);
    const before = Date.now();
    call(alice, 'bob');
    expect(await alice.event(REPLY)).toMatchObject({ userId: 'bob', errorCode: ErrorCode.OFFLINE });
    expect(Date.now() - before).toBeLessThan(2000);
    expect(alice.log.some((m) => m.type === 'waking')).toBe(false);
  });
});

describe('the webhook as the push hook (--webhook-push)', () => {
  it('POSTs the wake and the cancel, signed, with "type": "push"', async () => {
    const receiver = await new WebhookReceiver().start();
    tests.opened.push(receiver);
    const server = await tests.start({ offlineWaitMs: 1000, webhook: { url: receiver.url, secret: 'webhook-secret-0123456789', push: true } });
    const alice = await WireUser.connect(callerNode(server), 'alice');
    tests.opened.push(alice);
    call(alice, 'bob', 'ping');
    const pushes = async (): Promise<Record<string, unknown>> => {
      for (;;) {
        const hook = await receiver.hooks.next('a push webhook', 5000);
        if (hook.event.type === 'push') {
          expect(hook.headers['callgate-signature']).toBeTruthy();
          return hook.event;
        }
      }
    };
    expect(await pushes()).toMatchObject({ type: 'push', step: 'wake', caller: 'alice', callee: 'bob', userStr: 'ping' });
    expect(await alice.event(REPLY)).toMatchObject({ errorCode: ErrorCode.OFFLINE });
    expect(await pushes()).toMatchObject({ type: 'push', step: 'cancelled', callee: 'bob' });
  });
});
