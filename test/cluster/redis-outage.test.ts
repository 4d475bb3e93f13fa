import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import { startServer, type RunningServer } from '@callgate/server';
import { TestRedis } from '../support/redis-server.js';
import { TEST_SECRET, sleep, waitUntil } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

let redis: TestRedis;
const nodes: RunningServer[] = [];
const users: TestUser[] = [];

beforeAll(async () => {
  redis = await TestRedis.start({ persistent: true });
  for (let i = 0; i < 2; i++) {
    nodes.push(await startServer({ port: 0, secret: TEST_SECRET, logLevel: 'silent', redis: redis.url, redisPrefix: 'outage:' }));
  }
});
afterAll(async () => {
  await Promise.all(users.map((user) => user.close()));
  await Promise.all(nodes.map((node) => node.close()));
  await redis.destroy();
});

async function ready(node: RunningServer): Promise<number> {
  return (await fetch(`${node.httpUrl}/readyz`)).status;
}

describe('Redis outage', () => {
  it('refuses new calls with UNAVAILABLE and reports not ready while Redis is down, and recovers by itself', async () => {
    const alice = await TestUser.connect(nodes[0]!, 'alice');
    const bob = await TestUser.connect(nodes[1]!, 'bob');
    const carol = await TestUser.connect(nodes[0]!, 'carol');
    const dave = await TestUser.connect(nodes[1]!, 'dave');
    users.push(alice, bob, carol, dave);
    alice.client.videoCallControl(VideoCallEvent.REQUEST, 'bob');
    await bob.events.next('REQUEST');
    bob.client.videoCallControl(VideoCallEvent.REPLY, 'alice', 0);
    await alice.events.next('REPLY 0');
    const start = await alice.events.next('START');
    await bob.events.next('START');
    expect(await ready(nodes[0]!)).toBe(200);

    await redis.stop();
    await sleep(200);
    expect(await ready(nodes[0]!)).toBe(503);
    expect(await ready(nodes[1]!)).toBe(503);
    const failed = carol.client.call('dave');
    expect(await new Promise((resolve) => failed.once('ended', resolve))).toBe(ErrorCode.UNAVAILABLE);
    expect((await carol.errors.next('UNAVAILABLE')).code).toBe(ErrorCode.UNAVAILABLE);
    expect(await dave.events.drain(100)).toEqual([]);

    await redis.start();
    await waitUntil('node 0 to be ready again', async () => (await ready(nodes[0]!)) === 200, 10_000);
    expect(await ready(nodes[0]!)).toBe(200);
    await waitUntil('node 1 to be ready again', async () => (await ready(nodes[1]!)) === 200, 10_000);

    // The call that was talking through the outage is still there, and new calls work.
    expect(alice.client.currentCall?.roomId).toBe(start.param);
    carol.client.videoCallControl(VideoCallEvent.REQUEST, 'dave');
    expect(await dave.events.next('REQUEST after the outage')).toMatchObject({ event: VideoCallEvent.REQUEST, userId: 'carol' });
    bob.client.videoCallControl(VideoCallEvent.FINISH, 'alice');
    expect(await alice.events.next('FINISH')).toMatchObject({ event: VideoCallEvent.FINISH, errorCode: 0 });
  }, 30_000);
});

describe('Redis restarted empty', () => {
  it('clients whose sessions were lost are told to reconnect, start afresh, and see their call end', async () => {
    const wiped = await TestRedis.start({ persistent: false });
    const node = await startServer({ port: 0, secret: TEST_SECRET, logLevel: 'silent', redis: wiped.url, redisPrefix: 'wiped:' });
    const erin = await TestUser.connect(node, 'erin');
    const frank = await TestUser.connect(node, 'frank');
    try {
      erin.client.videoCallControl(VideoCallEvent.REQUEST, 'frank');
      await frank.events.next('REQUEST');
      frank.client.videoCallControl(VideoCallEvent.REPLY, 'erin', 0);
      await erin.events.next('REPLY 0');
      await erin.events.next('START');
      await frank.events.next('START');
      erin.states.clear();
      await wiped.stop();
      await wiped.start();
      while ((await erin.states.next('a new session', 10_000)) !== 'connected');
      expect(erin.client.welcome?.resumed).toBe(false);
      expect(await erin.events.next('the lost call ends')).toMatchObject({
        event: VideoCallEvent.FINISH,
        userId: 'frank',
        errorCode: ErrorCode.DISCONNECT,
      });
      expect(await frank.events.next('the lost call ends for frank too')).toMatchObject({
        event: VideoCallEvent.FINISH,
        errorCode: ErrorCode.DISCONNECT,
      });
      while (frank.client.connectionState !== 'connected') await sleep(20);
      erin.client.videoCallControl(VideoCallEvent.REQUEST, 'frank');
      expect(await frank.events.next('a new call rings', 5000)).toMatchObject({ event: VideoCallEvent.REQUEST });
    } finally {
      await erin.close();
      await frank.close();
      await node.close();
      await wiped.destroy();
    }
  }, 30_000);
});
