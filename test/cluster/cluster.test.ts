import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import { startServer, type RunningServer } from '@callgate/server';
import { serveCallgate, type CallgateServer } from '../support/callgate-process.js';
import { TestRedis } from '../support/redis-server.js';
import { TEST_SECRET, sleep } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';
import { talking } from '../support/calls.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function nodes(count: number, redis: string, options: { graceMs?: number } = {}): Promise<RunningServer[]> {
  const redisPrefix = `cgtest-${randomUUID().slice(0, 8)}:`;
  const started: RunningServer[] = [];
  for (let i = 0; i < count; i++) {
    const node = await startServer({ port: 0, secret: TEST_SECRET, logLevel: 'silent', redis, redisPrefix, ...options });
    cleanups.push(() => node.close());
    started.push(node);
  }
  return started;
}

async function user(node: RunningServer | { port: number }, userId: string): Promise<TestUser> {
  const created = await TestUser.connect(node as RunningServer, userId);
  cleanups.push(() => created.close());
  return created;
}

describe('cluster mode on Redis', () => {
  it('50 callers spread over 3 nodes call one callee at once: exactly one rings, 49 get BUSY', async () => {
    const cluster = await nodes(3, inject('redisUrl'));
    const callee = await user(cluster[0]!, 'callee');
    const callers = await Promise.all(Array.from({ length: 50 }, (_, i) => user(cluster[i % 3]!, `caller-${i}`)));
    for (const caller of callers) caller.client.videoCallControl(VideoCallEvent.REQUEST, 'callee');
    const answers = await Promise.all(callers.map((caller) => caller.events.next('an answer', 10_000)));
    expect(answers.filter((answer) => answer.errorCode === 0)).toHaveLength(1);
    expect(answers.filter((answer) => answer.errorCode === ErrorCode.BUSY)).toHaveLength(49);
    expect(await callee.events.next('one REQUEST')).toMatchObject({ event: VideoCallEvent.REQUEST });
    expect(await callee.events.drain(300)).toEqual([]);
  }, 30_000);

  it('a node that last saw a user free decides on what Redis holds now: a user another node put in a call is BUSY', async () => {
    const [a, b, c] = await nodes(3, inject('redisUrl'));
    const alice = await user(a!, 'stale-alice');
    const bob = await user(b!, 'stale-bob');
    const carol = await user(c!, 'stale-carol');
    // Node a decides about bob (and keeps his record as it wrote it: free after the FINISH).
    await talking(alice, bob);
    alice.client.videoCallControl(VideoCallEvent.FINISH, bob.userId);
    await alice.events.next('FINISH');
    await bob.events.next('FINISH');
    // Nodes b and c put bob in a call; node a hears nothing of it.
    await talking(carol, bob);
    alice.client.videoCallControl(VideoCallEvent.REQUEST, bob.userId);
    expect(await alice.events.next('the answer')).toMatchObject({ event: VideoCallEvent.REPLY, errorCode: ErrorCode.BUSY });
    expect(await bob.events.drain(200)).toEqual([]);
    carol.client.videoCallControl(VideoCallEvent.FINISH, bob.userId);
    expect(await bob.events.next('FINISH of the call with carol')).toMatchObject({ event: VideoCallEvent.FINISH, userId: carol.userId });
  });

  it('a REPLY racing a cancel has one winner', async () => {
    const cluster = await nodes(2, inject('redisUrl'));
    for (let round = 0; round < 10; round++) {
      const caller = await user(cluster[0]!, `racer-a${round}`);
      const callee = await user(cluster[1]!, `racer-b${round}`);
      caller.client.videoCallControl(VideoCallEvent.REQUEST, callee.userId);
      await callee.events.next('REQUEST');
      await caller.events.next('REPLY 0');
      callee.client.videoCallControl(VideoCallEvent.REPLY, caller.userId, 0);
      caller.client.videoCallControl(VideoCallEvent.FINISH, callee.userId);
      const callerSaw = [await caller.events.next('outcome')];
      const calleeSaw = [await callee.events.next('outcome')];
      if (callerSaw[0]!.event === VideoCallEvent.START) {
        // The answer won: the caller's FINISH then hung up the started call.
        callerSaw.push(await caller.events.next('FINISH'));
        calleeSaw.push(await callee.events.next('FINISH'));
        expect(calleeSaw.map((e) => e.event)).toEqual([VideoCallEvent.START, VideoCallEvent.FINISH]);
        expect(callerSaw[1]).toMatchObject({ event: VideoCallEvent.FINISH, errorCode: 0 });
      } else {
        // The cancel won: the answer found no ringing call.
        expect(callerSaw[0]).toMatchObject({ event: VideoCallEvent.FINISH, errorCode: ErrorCode.CANCEL });
        expect(calleeSaw[0]).toMatchObject({ event: VideoCallEvent.FINISH, errorCode: ErrorCode.CANCEL });
        expect((await callee.errors.next('NOTINCALL')).code).toBe(ErrorCode.NOTINCALL);
      }
      expect(await caller.events.drain(50)).toEqual([]);
      expect(await callee.events.drain(50)).toEqual([]);
    }
  }, 30_000);

});

describe('node failure (separate processes)', () => {
  async function processes(count: number, extra: string[]): Promise<CallgateServer[]> {
    const prefix = `cgtest-${randomUUID().slice(0, 8)}:`;
    const started = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        serveCallgate(['--secret', TEST_SECRET, '--redis', inject('redisUrl'), '--redis-prefix', prefix, '--node', `node-${i + 1}`, ...extra]),
      ),
    );
    for (const node of started) cleanups.push(() => node.stop('SIGKILL'));
    return started;
  }

  it('SIGKILL of a node in a call: the peer gets FINISH 100106 within node timeout + heartbeat + grace', async () => {
    const [node1, node2] = await processes(2, ['--node-timeout', '1', '--grace', '2']);
    const alice = await user(node1!, 'alice');
    const bob = await user(node2!, 'bob');
    await talking(alice, bob);
    await node1!.stop('SIGKILL');
    alice.drop(); // her network went with the node, and she does not come back
    // Documented bound: node timeout (1 s) + a heartbeat (1 s) + grace (2 s) + a timer poll.
    const finish = await bob.events.next('FINISH 100106 within the bound', 1000 + 1000 + 2000 + 1000);
    expect(finish).toMatchObject({ event: VideoCallEvent.FINISH, userId: 'alice', errorCode: ErrorCode.DISCONNECT });
  }, 30_000);

  it('a user of a killed node resumes on another node within the grace period and keeps the call', async () => {
    const [node1, node2] = await processes(2, ['--node-timeout', '1', '--grace', '10']);
    const alice = await user(node1!, 'alice');
    const bob = await user(node2!, 'bob');
    const room = await talking(alice, bob);
    alice.states.clear();
    alice.proxy.retarget(node2!.port); // the load balancer sends her elsewhere
    await node1!.stop('SIGKILL');
    while ((await alice.states.next('reconnect to node 2', 10_000)) !== 'connected');
    expect(alice.client.welcome?.resumed).toBe(true);
    expect(alice.client.currentCall?.roomId).toBe(room);
    await sleep(2500); // past the dead node's detection: the moved user must not be dropped
    expect(await bob.events.drain(0)).toEqual([]);
    bob.client.videoCallControl(VideoCallEvent.FINISH, 'alice');
    expect(await alice.events.next('FINISH')).toMatchObject({ event: VideoCallEvent.FINISH, userId: 'bob', errorCode: 0 });
  }, 30_000);

  it('rolling restart: SIGTERM drains a node, its users resume on another node with their calls kept', async () => {
    const [node1, node2] = await processes(2, ['--grace', '10']);
    const alice = await user(node1!, 'alice');
    const bob = await user(node2!, 'bob');
    const room = await talking(alice, bob);
    alice.states.clear();
    alice.proxy.retarget(node2!.port);
    expect((await node1!.stop('SIGTERM')).code).toBe(0);
    while ((await alice.states.next('alice on node 2', 10_000)) !== 'connected');
    expect(alice.client.welcome?.resumed).toBe(true);
    expect(alice.client.currentCall?.roomId).toBe(room);
    expect(await bob.events.drain(300)).toEqual([]);
    alice.client.videoCallControl(VideoCallEvent.FINISH, 'bob');
    expect(await bob.events.next('FINISH')).toMatchObject({ event: VideoCallEvent.FINISH, userId: 'alice', errorCode: 0 });
  }, 30_000);

  it('timers survive their node: a call rung on a killed node times out on another', async () => {
    const [node1, node2] = await processes(2, ['--node-timeout', '1', '--grace', '20', '--ring-timeout', '2']);
    const alice = await user(node1!, 'alice');
    const bob = await user(node1!, 'bob');
    alice.client.videoCallControl(VideoCallEvent.REQUEST, 'bob');
    await bob.events.next('REQUEST');
    await alice.events.next('REPLY 0');
    for (const moved of [alice, bob]) {
      moved.states.clear();
      moved.proxy.retarget(node2!.port);
    }
    await node1!.stop('SIGKILL');
    expect(await alice.events.next('REPLY 100105', 6000)).toMatchObject({ event: VideoCallEvent.REPLY, errorCode: ErrorCode.TIMEOUT });
    expect(await bob.events.next('FINISH 100105', 6000)).toMatchObject({ event: VideoCallEvent.FINISH, errorCode: ErrorCode.TIMEOUT });
  }, 30_000);
});
