import { describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import { createAccessToken } from '@callgate/server';
import { RawSocket } from '../support/raw-socket.js';
import { TEST_SECRET, serversPerTest, type TestServer } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

let server: TestServer | undefined;
const tests = serversPerTest<TestUser>();
const opened = tests.opened;


describe('heartbeats', () => {
  it('the welcome tells the client the heartbeat interval and timeout', async () => {
    server = await tests.start({ heartbeatIntervalMs: 5000 });
    const user = await TestUser.connect(server, 'hb');
    opened.push(user);
    expect(user.client.welcome?.heartbeat).toEqual({ intervalMs: 5000, timeoutMs: 10000 });
  });

  it('the server drops a peer that stops answering pings; its call then ends after the grace period', async () => {
    server = await tests.start({ heartbeatIntervalMs: 100, graceMs: 300 });
    const bob = await TestUser.connect(server, 'bob');
    opened.push(bob);
    const silent = await RawSocket.open(server, '', { autoPong: false });
    silent.send({ type: 'auth', token: await createAccessToken({ secret: TEST_SECRET, userId: 'silent' }) });
    expect(await silent.next('welcome')).toMatchObject({ type: 'welcome' });
    silent.send({ type: 'control', event: 1, userId: 'bob' });
    await bob.events.next('REQUEST');
    bob.client.videoCallControl(VideoCallEvent.REPLY, 'silent', 0);
    await bob.events.next('START');
    expect((await silent.closed).code).toBe(1006);
    expect(await bob.events.next('FINISH after the grace period')).toMatchObject({
      event: VideoCallEvent.FINISH,
      userId: 'silent',
      errorCode: ErrorCode.DISCONNECT,
    });
  });

  it('the SDK notices a server that went silent, reconnects and resumes its call', async () => {
    server = await tests.start({ heartbeatIntervalMs: 100, graceMs: 10_000 });
    const alice = await TestUser.connect(server, 'alice');
    const bob = await TestUser.connect(server, 'bob');
    opened.push(alice, bob);
    alice.client.videoCallControl(VideoCallEvent.REQUEST, 'bob');
    await bob.events.next('REQUEST');
    bob.client.videoCallControl(VideoCallEvent.REPLY, 'alice', 0);
    await bob.events.next('START');
    alice.states.clear();
    alice.proxy.stall();
    expect(await alice.states.next('reconnecting')).toBe('reconnecting');
    expect(await alice.states.next('connected')).toBe('connected');
    expect(alice.client.welcome?.resumed).toBe(true);
    bob.client.videoCallControl(VideoCallEvent.FINISH, 'alice');
    const seen = [];
    for (let event = await alice.events.next('events'); ; event = await alice.events.next('events')) {
      seen.push(event.event);
      if (event.event === VideoCallEvent.FINISH) break;
    }
    expect(seen.filter((e) => e === VideoCallEvent.START)).toHaveLength(1);
    expect(seen.at(-1)).toBe(VideoCallEvent.FINISH);
  });
});
