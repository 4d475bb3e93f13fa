import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, SignalLimits, VideoCallEvent } from '@callgate/protocol';
import type { RunningServer } from '@callgate/server';
import { RawSocket } from '../support/raw-socket.js';
import { nextOfType, rawUser } from '../support/raw-user.js';
import { startTestServer } from '../support/servers.js';

let server: RunningServer | undefined;
const sockets: RawSocket[] = [];

afterEach(async () => {
  sockets.splice(0).forEach((socket) => socket.close());
  await server?.close();
  server = undefined;
});

async function users(...ids: string[]): Promise<RawSocket[]> {
  server ??= await startTestServer();
  const opened = await Promise.all(ids.map((id) => rawUser(server!, id)));
  sockets.push(...opened);
  return opened;
}

const offer = { kind: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n' };

/** customer calls agent, agent accepts: resolves with the roomId both got in START. */
async function startCall(customer: RawSocket, agent: RawSocket): Promise<number> {
  customer.send({ type: 'control', event: VideoCallEvent.REQUEST, userId: 'agent', flags: 3 });
  expect(await nextOfType(agent, 'event', 'REQUEST')).toMatchObject({ event: VideoCallEvent.REQUEST });
  expect(await nextOfType(customer, 'event', 'REPLY 0')).toMatchObject({ event: VideoCallEvent.REPLY, errorCode: 0 });
  agent.send({ type: 'control', event: VideoCallEvent.REPLY, userId: 'customer' });
  const started = await nextOfType(customer, 'event', 'START');
  expect(await nextOfType(agent, 'event', 'START')).toMatchObject({ event: VideoCallEvent.START, param: started.param });
  return started.param as number;
}

describe('the signaling relay', () => {
  it('relays offer, answer, candidates and restart between the two parties of a started call', async () => {
    const [customer, agent] = await users('customer', 'agent');
    const roomId = await startCall(customer!, agent!);
    customer!.send({ type: 'signal', roomId, data: offer });
    expect(await agent!.next('offer')).toEqual({ type: 'signal', roomId, from: 'customer', data: offer });
    const answer = { kind: 'answer', sdp: 'v=0\r\nanswer\r\n' };
    agent!.send({ type: 'signal', roomId, data: answer });
    expect(await customer!.next('answer')).toEqual({ type: 'signal', roomId, from: 'agent', data: answer });
    const candidate = { kind: 'candidate', candidate: { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 } };
    agent!.send({ type: 'signal', roomId, data: candidate });
    expect(await customer!.next('candidate')).toEqual({ type: 'signal', roomId, from: 'agent', data: candidate });
    customer!.send({ type: 'signal', roomId, data: { kind: 'candidate', candidate: null } });
    expect(await agent!.next('end of candidates')).toMatchObject({ data: { kind: 'candidate', candidate: null } });
    agent!.send({ type: 'signal', roomId, data: { kind: 'restart' } });
    expect(await customer!.next('restart')).toMatchObject({ from: 'agent', data: { kind: 'restart' } });
  });

  it('refuses a third user, a wrong room, a call not started and an ended call with NOT_IN_ROOM, and delivers nothing', async () => {
    const [customer, agent, intruder] = await users('customer', 'agent', 'intruder');
    const notInRoom = { type: 'error', code: ErrorCode.NOT_IN_ROOM, name: 'NOT_IN_ROOM' };

    customer!.send({ type: 'control', event: VideoCallEvent.REQUEST, userId: 'agent', flags: 3 });
    await nextOfType(agent!, 'event', 'REQUEST');
    await nextOfType(customer!, 'event', 'REPLY 0');
    customer!.send({ type: 'signal', roomId: 1, data: offer });
    expect(await customer!.next('error while ringing')).toMatchObject(notInRoom);

    agent!.send({ type: 'control', event: VideoCallEvent.REPLY, userId: 'customer' });
    const roomId = (await nextOfType(customer!, 'event', 'START')).param as number;
    await nextOfType(agent!, 'event', 'START');

    intruder!.send({ type: 'signal', roomId, data: offer });
    expect(await intruder!.next('error for the intruder')).toMatchObject(notInRoom);
    customer!.send({ type: 'signal', roomId: roomId === 1 ? 2 : roomId - 1, data: offer });
    expect(await customer!.next('error for a wrong room')).toMatchObject(notInRoom);

    customer!.send({ type: 'control', event: VideoCallEvent.FINISH, userId: 'agent' });
    await nextOfType(customer!, 'event', 'FINISH');
    await nextOfType(agent!, 'event', 'FINISH');
    customer!.send({ type: 'signal', roomId, data: offer });
    expect(await customer!.next('error after FINISH')).toMatchObject(notInRoom);

    expect(await agent!.messages.drain(200)).toEqual([]);
    expect(await customer!.messages.drain(0)).toEqual([]);
  });

  it('refuses malformed and oversized signals with MALFORMED and stays up', async () => {
    const [customer, agent] = await users('customer', 'agent');
    const roomId = await startCall(customer!, agent!);
    const malformed = { type: 'error', code: ErrorCode.MALFORMED };
    customer!.send({ type: 'signal', roomId, data: { kind: 'offer', sdp: 'x'.repeat(SignalLimits.SDP_MAX + 1) } });
    expect(await customer!.next('oversized sdp')).toMatchObject(malformed);
    customer!.send({ type: 'signal', roomId, data: { kind: 'bye' } });
    expect(await customer!.next('unknown kind')).toMatchObject(malformed);
    customer!.send({ type: 'signal', roomId: 0, data: offer });
    expect(await customer!.next('roomId 0')).toMatchObject(malformed);
    customer!.send({ type: 'signal', roomId, data: { kind: 'candidate', candidate: { candidate: 'c'.repeat(SignalLimits.CANDIDATE_MAX + 1) } } });
    expect(await customer!.next('oversized candidate')).toMatchObject(malformed);
    expect(await agent!.messages.drain(100)).toEqual([]);
    customer!.send({ type: 'signal', roomId, data: offer });
    expect(await agent!.next('a good offer after the bad ones')).toMatchObject({ type: 'signal', data: offer });
  });

  it('refuses signals before authentication', async () => {
    server = await startTestServer();
    const socket = await RawSocket.open(server);
    sockets.push(socket);
    socket.send({ type: 'signal', roomId: 5, data: offer });
    expect(await socket.next('error')).toMatchObject({ type: 'error', code: ErrorCode.NOT_AUTHENTICATED });
  });
});
