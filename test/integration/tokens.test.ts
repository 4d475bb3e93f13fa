import { afterEach, describe, expect, it } from 'vitest';
import { CallClient, ErrorCode, VideoCallEvent } from '@callgate/client';
import { createAccessToken } from '@callgate/server';
import { EventQueue } from '../support/event-queue.js';
import { RawSocket } from '../support/raw-socket.js';
import { TEST_SECRET, sleep, startTestServer, type TestServer } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

let server: TestServer | undefined;
const clients: { close(): unknown }[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = undefined;
});

const token = (userId: string, ttlSeconds = 600, claims = {}): Promise<string> =>
  createAccessToken({ secret: TEST_SECRET, userId, ttlSeconds, claims });

async function client(tokenSource: string | (() => Promise<string>)): Promise<CallClient> {
  const created = new CallClient({ url: server!.url, token: tokenSource });
  clients.push(created);
  await created.connect();
  return created;
}

describe('token expiry in a session', () => {
  it('closes the socket with 4004 when the token expires, and an SDK with a fixed token stops', async () => {
    server = await startTestServer();
    const raw = await RawSocket.open(server);
    raw.send({ type: 'auth', token: await token('brief', 2) });
    const welcome = await raw.next('welcome');
    expect(welcome.tokenExpiresAt).toBeGreaterThan(Date.now());
    expect(await raw.next('TOKEN_EXPIRED')).toMatchObject({ type: 'error', code: ErrorCode.TOKEN_EXPIRED });
    expect((await raw.closed).code).toBe(4004);

    const sdk = await client(await token('brief2', 2));
    const errors = new EventQueue<number>();
    sdk.on('error', (error) => errors.push(error.code));
    expect(await errors.next('TOKEN_EXPIRED', 5000)).toBe(ErrorCode.TOKEN_EXPIRED);
    await sleep(100);
    expect(sdk.connectionState).toBe('disconnected');
  });

  it('an SDK with a token function refreshes before expiry; the call goes on, nothing drops', async () => {
    server = await startTestServer();
    let minted = 0;
    const alice = await client(async () => {
      minted++;
      return token('alice', 2);
    });
    const states = new EventQueue<string>();
    alice.on('connection-state', (state) => states.push(state));
    const bob = await TestUser.connect(server, 'bob');
    clients.push(bob);
    alice.videoCallControl(VideoCallEvent.REQUEST, 'bob');
    await bob.events.next('REQUEST');
    bob.client.videoCallControl(VideoCallEvent.REPLY, 'alice', 0);
    await bob.events.next('START');
    await sleep(3500);
    expect(minted).toBeGreaterThanOrEqual(2);
    expect(await states.drain(0)).toEqual([]);
    expect(await bob.events.drain(0)).toEqual([]);
    expect(alice.currentCall?.state).toBe('talking');
  });

  it('refreshToken() takes a token for the same user and refuses another user’s', async () => {
    server = await startTestServer();
    const carol = await client(await token('carol', 60));
    await carol.refreshToken(await token('carol', 3600));
    expect(carol.connectionState).toBe('connected');
    await expect(carol.refreshToken(await token('mallory', 3600))).rejects.toMatchObject({ code: ErrorCode.UNAUTHORIZED });
    await expect(carol.refreshToken('garbage')).rejects.toMatchObject({ code: ErrorCode.UNAUTHORIZED });
    expect(carol.connectionState).toBe('connected');
  });
});

describe('call grants in the token', () => {
  it('a customer who may call agents only reaches agents, and gets FORBIDDEN otherwise', async () => {
    server = await startTestServer();
    const customer = await client(await token('cust-1', 600, { role: 'customer', canCall: ['role:agent'] }));
    const agent = await client(await token('agent-7', 600, { role: 'agent' }));
    const other = await client(await token('cust-2', 600, { role: 'customer' }));
    const heard = new EventQueue<[number, string, number]>();
    customer.setVideoCallEventCallback((event, peer, code) => heard.push([event, peer, code]));
    const agentHeard = new EventQueue<number>();
    agent.setVideoCallEventCallback((event) => agentHeard.push(event));
    const otherHeard = new EventQueue<number>();
    other.setVideoCallEventCallback((event) => otherHeard.push(event));

    customer.videoCallControl(VideoCallEvent.REQUEST, 'cust-2');
    expect(await heard.next('FORBIDDEN')).toEqual([VideoCallEvent.REPLY, 'cust-2', ErrorCode.FORBIDDEN]);
    expect(await otherHeard.drain(100)).toEqual([]);

    customer.videoCallControl(VideoCallEvent.REQUEST, 'agent-7');
    expect(await heard.next('ringing')).toEqual([VideoCallEvent.REPLY, 'agent-7', 0]);
    expect(await agentHeard.next('REQUEST')).toBe(VideoCallEvent.REQUEST);
  });

  it('prefix patterns and user ids work too; agents without a grant call anyone', async () => {
    server = await startTestServer();
    const kiosk = await client(await token('kiosk', 600, { canCall: ['desk-*', 'manager'] }));
    await client(await token('desk-3'));
    await client(await token('lobby'));
    const heard = new EventQueue<number>();
    kiosk.setVideoCallEventCallback((_event, _peer, code) => heard.push(code));
    kiosk.videoCallControl(VideoCallEvent.REQUEST, 'lobby');
    expect(await heard.next('FORBIDDEN')).toBe(ErrorCode.FORBIDDEN);
    kiosk.videoCallControl(VideoCallEvent.REQUEST, 'manager');
    expect(await heard.next('OFFLINE')).toBe(ErrorCode.OFFLINE);
    kiosk.videoCallControl(VideoCallEvent.REQUEST, 'desk-3');
    expect(await heard.next('ringing')).toBe(0);
  });

  it('refuses a token whose grant is malformed', async () => {
    server = await startTestServer();
    const bad = new CallClient({ url: server.url, token: await token('x', 600, { canCall: 'everyone' }) });
    await expect(bad.connect()).rejects.toMatchObject({ code: ErrorCode.UNAUTHORIZED, message: expect.stringMatching(/canCall/) });
  });
});
