import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { CallClient, ErrorCode, VideoCallEvent } from '@callgate/client';
import { createAccessToken } from '@callgate/server';
import { EventQueue } from '../support/event-queue.js';
import { freshDatabase, type TestDatabase } from '../support/databases.js';
import { apiGet } from '../support/history.js';
import { RawSocket } from '../support/raw-socket.js';
import { rawUser } from '../support/raw-user.js';
import { TEST_SECRET, sleep, startTestServer, waitUntil, type TestServer } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

let server: TestServer | undefined;
const clients: { close(): unknown }[] = [];

const databases: TestDatabase[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = undefined;
  await Promise.all(databases.splice(0).map((database) => database.drop()));
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

/** A token signed with the test secret whose `sub` is whatever JSON value is given (createAccessToken only takes user id strings). */
const tokenWithSub = (sub: unknown): Promise<string> =>
  new SignJWT({ sub } as Record<string, unknown>)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('10 minutes')
    .sign(new TextEncoder().encode(TEST_SECRET));

/** The next call event `event` on a raw socket; every error before it fails the test. */
async function nextEvent(socket: RawSocket, event: number): Promise<Record<string, unknown>> {
  for (;;) {
    const message = await socket.next(`event ${event}`);
    if (message.type === 'error') throw new Error(`error instead of event ${event}: ${JSON.stringify(message)}`);
    if (message.type === 'event' && message.event === event) return message;
  }
}

async function rawLogin(token: string, userId: string): Promise<{ socket: RawSocket; welcome: Record<string, unknown> }> {
  const socket = await RawSocket.open(server!.nodeFor(userId));
  socket.send({ type: 'auth', token });
  return { socket, welcome: await socket.next('welcome') };
}

describe('the user id in the token', () => {
  it('a numeric sub is the user named by its decimal string, in the welcome, in calls both ways and in the records', async () => {
    const adminKey = 'tokens-admin-key-0123';
    // One records database for every node of the topology, so the first node's API sees every call.
    const database = await freshDatabase('postgres');
    databases.push(database);
    server = await startTestServer({ adminKey, db: database.db });
    const { socket: numeric, welcome } = await rawLogin(await tokenWithSub(778), '778');
    clients.push(numeric);
    expect(welcome).toMatchObject({ type: 'welcome', userId: '778' });
    const peer = await rawUser(server, 'peer-778');
    clients.push(peer);

    // The peer calls "778" by its string id; the numeric-token user answers and hangs up.
    peer.send({ type: 'control', event: VideoCallEvent.REQUEST, userId: '778' });
    expect(await nextEvent(numeric, VideoCallEvent.REQUEST)).toMatchObject({ userId: 'peer-778' });
    numeric.send({ type: 'control', id: 'r1', event: VideoCallEvent.REPLY, userId: 'peer-778' });
    expect(await nextEvent(numeric, VideoCallEvent.START)).toMatchObject({ userId: 'peer-778' });
    expect(await nextEvent(peer, VideoCallEvent.START)).toMatchObject({ userId: '778' });
    numeric.send({ type: 'control', id: 'f1', event: VideoCallEvent.FINISH, userId: 'peer-778' });
    expect(await nextEvent(peer, VideoCallEvent.FINISH)).toMatchObject({ userId: '778', errorCode: 0 });

    // And the other way round: "778" calls the peer, who answers and hangs up.
    numeric.send({ type: 'control', id: 'q2', event: VideoCallEvent.REQUEST, userId: 'peer-778' });
    expect(await nextEvent(peer, VideoCallEvent.REQUEST)).toMatchObject({ userId: '778' });
    peer.send({ type: 'control', id: 'r2', event: VideoCallEvent.REPLY, userId: '778' });
    expect(await nextEvent(numeric, VideoCallEvent.START)).toMatchObject({ userId: 'peer-778' });
    peer.send({ type: 'control', id: 'f2', event: VideoCallEvent.FINISH, userId: '778' });
    expect(await nextEvent(numeric, VideoCallEvent.FINISH)).toMatchObject({ userId: 'peer-778', errorCode: 0 });
    const errors = [...(await numeric.messages.drain(0)), ...(await peer.messages.drain(0))].filter((m) => m.type === 'error');
    expect(errors).toEqual([]);

    let calls: { caller: string; callee: string; outcome: string | null }[] = [];
    await waitUntil('both records ended', async () => {
      calls = (await apiGet(server!, '/api/calls?user=778', adminKey)).body.calls;
      return calls.length === 2 && calls.every((call) => call.outcome === 'completed');
    });
    expect(calls.map((call) => [call.caller, call.callee])).toEqual([
      ['778', 'peer-778'],
      ['peer-778', '778'],
    ]);
  });

  it('numeric 777 and string "777" are one user: the second login replaces the first', async () => {
    server = await startTestServer();
    const { socket: numeric } = await rawLogin(await tokenWithSub(777), '777');
    const { socket: text, welcome } = await rawLogin(await token('777'), '777');
    clients.push(text);
    expect(welcome).toMatchObject({ type: 'welcome', userId: '777', resumed: false });
    expect((await numeric.closed).code).toBe(4002);
    const { socket: again } = await rawLogin(await tokenWithSub(777), '777');
    clients.push(again);
    expect((await text.closed).code).toBe(4002);
  });

  it('refuses any other sub that is not a user id string: fractions, negatives, unsafe integers, booleans, objects', async () => {
    server = await startTestServer();
    for (const sub of [1.5, -1, 2 ** 53, true, { id: 'x' }, ['x'], '']) {
      const { socket, welcome } = await rawLogin(await tokenWithSub(sub), 'x');
      expect(welcome, JSON.stringify(sub)).toMatchObject({ type: 'error', code: ErrorCode.UNAUTHORIZED });
      expect((await socket.closed).code).toBe(4001);
    }
  });
});

describe('issuer and audience', () => {
  it('with tokenIssuer and tokenAudience set, only tokens that name both are taken', async () => {
    server = await startTestServer({ tokenIssuer: 'https://app.example', tokenAudience: 'callgate', dev: true });
    const minted = (options: { issuer?: string; audience?: string }): Promise<string> =>
      createAccessToken({ secret: TEST_SECRET, userId: 'iss-user', ttlSeconds: 600, ...options });
    for (const [what, options] of [
      ['no iss or aud', {}],
      ['another issuer', { issuer: 'https://evil.example', audience: 'callgate' }],
      ['another audience', { issuer: 'https://app.example', audience: 'other-service' }],
      ['no audience', { issuer: 'https://app.example' }],
    ] as const) {
      const { socket, welcome } = await rawLogin(await minted(options), 'iss-user');
      expect(welcome, what).toMatchObject({ type: 'error', code: ErrorCode.UNAUTHORIZED });
      expect((await socket.closed).code).toBe(4001);
    }
    const { socket, welcome } = await rawLogin(await minted({ issuer: 'https://app.example', audience: 'callgate' }), 'iss-user');
    clients.push(socket);
    expect(welcome).toMatchObject({ type: 'welcome', userId: 'iss-user' });

    // The dev login mints what the server takes.
    const login = await fetch(`${server.nodeFor('dev-user').httpUrl}/api/dev/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'dev-user' }),
    });
    const { token: devToken } = (await login.json()) as { token: string };
    const dev = await rawLogin(devToken, 'dev-user');
    clients.push(dev.socket);
    expect(dev.welcome).toMatchObject({ type: 'welcome', userId: 'dev-user' });
  });
});
