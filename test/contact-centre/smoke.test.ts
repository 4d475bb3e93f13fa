import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/protocol';
import { nextOfType, rawUser } from '../support/raw-user.js';
import type { RawSocket } from '../support/raw-socket.js';
import { startTestServer, type TestServer } from '../support/servers.js';

let server: TestServer | undefined;
const sockets: RawSocket[] = [];

afterEach(async () => {
  sockets.splice(0).forEach((s) => s.close());
  await server?.close();
  server = undefined;
});

describe('contact centre over the wire', () => {
  it('a customer waits, the available agent is offered it as a REQUEST, and the call starts', async () => {
    server = await startTestServer({ queues: [{ id: 'billing', name: 'Billing', wrapUp: 0 }] });
    const agent = await rawUser(server, 'anna', { role: 'agent', queues: ['billing'] });
    const customer = await rawUser(server, 'cust-1');
    sockets.push(agent, customer);
    expect(await nextOfType(agent, 'agent')).toMatchObject({ status: 'away', queues: ['billing'] });
    agent.send({ type: 'agent.status', id: 'a1', status: 'available' });
    expect(await nextOfType(agent, 'agent')).toMatchObject({ status: 'available' });
    customer.send({ type: 'queue.enter', id: 'e1', queue: 'billing', userStr: 'order 42', flags: 3 });
    const waiting = await nextOfType(customer, 'entry');
    expect(waiting).toMatchObject({ entry: { queue: 'billing', state: 'waiting' } });
    const request = await nextOfType(agent, 'event');
    expect(request).toMatchObject({ event: VideoCallEvent.REQUEST, userId: 'cust-1', queue: 'billing', userStr: 'order 42', flags: 3 });
    expect(await nextOfType(customer, 'entry')).toMatchObject({ entry: { state: 'offered', agent: 'anna' } });
    agent.send({ type: 'control', event: VideoCallEvent.REPLY, userId: 'cust-1', errorCode: 0 });
    const start = await nextOfType(customer, 'event');
    expect(start).toMatchObject({ event: VideoCallEvent.START, userId: 'anna' });
    expect(await nextOfType(agent, 'event')).toMatchObject({ event: VideoCallEvent.START, param: start.param });
    expect(await nextOfType(customer, 'entry')).toMatchObject({ entry: { state: 'connected', agent: 'anna', callId: start.callId } });
    customer.send({ type: 'control', event: VideoCallEvent.FINISH, userId: 'anna' });
    expect(await nextOfType(agent, 'event')).toMatchObject({ event: VideoCallEvent.FINISH });
    expect(await nextOfType(customer, 'entry')).toMatchObject({ entry: { state: 'ended', outcome: 'served' } });
  });

  it('refuses an unknown queue', async () => {
    server = await startTestServer({ queues: [{ id: 'billing', name: 'Billing' }] });
    const customer = await rawUser(server, 'cust-2');
    sockets.push(customer);
    customer.send({ type: 'queue.enter', id: 'e1', queue: 'nope' });
    expect(await nextOfType(customer, 'error')).toMatchObject({ code: ErrorCode.QUEUE_NOT_FOUND, ref: 'e1' });
  });
});
