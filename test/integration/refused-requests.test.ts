/**
 * REQUESTs refused at once (offline, busy, forbidden…) each write a call record; a user's budget
 * of them is counted in the gateway (issue 12 item 8): past it, its REQUESTs get RATE_LIMITED and
 * write nothing, until the budget refills. Real server, real WebSocket clients.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import { allPages } from '../support/history.js';
import type { RawSocket } from '../support/raw-socket.js';
import { rawUser } from '../support/raw-user.js';
import { serversPerTest, sleep } from '../support/servers.js';

const ADMIN = 'refused-requests-admin-key';
const tests = serversPerTest<RawSocket>();

async function user(server: Parameters<typeof rawUser>[0], userId: string): Promise<RawSocket> {
  const socket = await rawUser(server, userId);
  tests.opened.push(socket);
  return socket;
}

/** Sends a REQUEST and resolves with the control's answer: its ack, or the error that names it (ref). */
async function request(socket: RawSocket, id: string, callee: string): Promise<Record<string, unknown>> {
  socket.send({ type: 'control', id, event: VideoCallEvent.REQUEST, userId: callee });
  for (;;) {
    const message = await socket.next(`the answer to ${id}`);
    if ((message.type === 'ack' && message.id === id) || (message.type === 'error' && message.ref === id)) return message;
  }
}

describe('refused REQUESTs per user', () => {
  it('a user that keeps calling offline ids is throttled with RATE_LIMITED; its connection and other users go on', async () => {
    const server = await tests.start({ adminKey: ADMIN, limits: { refusedRequestBurst: 3, refusedRequestsPerMinute: 0.001 } });
    const spammer = await user(server, 'spammer');
    for (let i = 0; i < 3; i++) expect(await request(spammer, `r${i}`, `offline-${i}`)).toMatchObject({ type: 'ack' });
    for (let i = 3; i < 6; i++) {
      expect(await request(spammer, `r${i}`, `offline-${i}`)).toMatchObject({ type: 'error', code: ErrorCode.RATE_LIMITED, name: 'RATE_LIMITED' });
    }
    // Throttled, not thrown out: the socket still answers, and a REQUEST to someone online waits too.
    const bob = await user(server, 'bob');
    expect(await request(spammer, 'to-bob', 'bob')).toMatchObject({ type: 'error', code: ErrorCode.RATE_LIMITED });
    spammer.send({ type: 'ping' });
    expect(await spammer.next('pong')).toMatchObject({ type: 'pong' });
    // Another user is not touched.
    const alice = await user(server, 'alice');
    expect(await request(alice, 'a1', 'bob')).toMatchObject({ type: 'ack' });
    expect(await bob.next('REQUEST from alice')).toMatchObject({ type: 'event', event: VideoCallEvent.REQUEST, userId: 'alice' });
    // Only the three refusals inside the budget were recorded.
    const records = await allPages(server, '/api/calls?user=spammer', ADMIN);
    expect(records.map((record) => [record.callee, record.outcome]).sort()).toEqual([
      ['offline-0', 'offline'],
      ['offline-1', 'offline'],
      ['offline-2', 'offline'],
    ]);
  });

  it('the budget counts refusals only, and refills', async () => {
    const server = await tests.start({ limits: { refusedRequestBurst: 2, refusedRequestsPerMinute: 600 } });
    const caller = await user(server, 'caller');
    const callee = await user(server, 'callee');
    // Calls that ring take nothing from it.
    for (let i = 0; i < 4; i++) {
      expect(await request(caller, `ring-${i}`, 'callee')).toMatchObject({ type: 'ack' });
      await callee.next('REQUEST');
      caller.send({ type: 'control', id: `cancel-${i}`, event: VideoCallEvent.FINISH, userId: 'callee' });
      await callee.next('FINISH');
    }
    expect(await request(caller, 'x1', 'gone-1')).toMatchObject({ type: 'ack' });
    expect(await request(caller, 'x2', 'gone-2')).toMatchObject({ type: 'ack' });
    expect(await request(caller, 'x3', 'gone-3')).toMatchObject({ code: ErrorCode.RATE_LIMITED });
    // 600 a minute: one back every 100 ms.
    await sleep(250);
    expect(await request(caller, 'x4', 'gone-4')).toMatchObject({ type: 'ack' });
  });
});
