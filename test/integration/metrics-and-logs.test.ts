import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import type { RunningServer } from '@callgate/server';
import { incomingCalls, stepsOf, until } from '../support/calls.js';
import { capturedLogger } from '../support/captured-logs.js';
import { apiGet, sample } from '../support/history.js';
import { RawSocket } from '../support/raw-socket.js';
import { startTestServer, waitUntil } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

const servers: RunningServer[] = [];
const users: TestUser[] = [];

async function server(options: Parameters<typeof startTestServer>[0] = {}): Promise<RunningServer> {
  const started = await startTestServer(options);
  servers.push(started);
  return started;
}

async function connect(on: RunningServer, ...ids: string[]): Promise<TestUser[]> {
  const connected = await Promise.all(ids.map((id) => TestUser.connect(on, id)));
  users.push(...connected);
  return connected;
}

const metrics = async (on: RunningServer): Promise<string> => {
  const answer = await apiGet<string>(on, '/metrics');
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
  return answer.body;
};

afterEach(async () => {
  await Promise.all(users.splice(0).map((u) => u.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('/metrics', () => {
  it('moves with a real call: users, calls by phase and outcome, setup and ring delivery times, messages', async () => {
    const main = await server({ adminKey: 'metrics-admin-key-0123' });
    const quiet = await server();
    const before = await metrics(main);
    expect(sample(before, 'callgate_connected_users')).toBe(0);
    expect(sample(before, 'callgate_calls_ended_total', { outcome: 'completed' })).toBeUndefined();
    expect(sample(before, 'callgate_call_setup_seconds_count')).toBe(0);
    expect(sample(before, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(before, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);

    const [customer, agent] = await connect(main, 'm-customer', 'm-agent');
    expect(sample(await metrics(main), 'callgate_connected_users')).toBe(2);
    const calls = incomingCalls(agent!);
    const steps = stepsOf(customer!.client.call('m-agent'));
    const incoming = await calls.next('incoming');
    await until(steps, 'ringing');
    const ringing = await metrics(main);
    expect(sample(ringing, 'callgate_live_calls', { phase: 'ringing' })).toBe(1);
    expect(sample(ringing, 'callgate_ring_delivery_seconds_count')).toBe(1);
    expect(sample(ringing, 'callgate_ring_delivery_seconds_sum')).toBeGreaterThan(0);
    expect(sample(ringing, 'callgate_ring_delivery_seconds_sum')).toBeLessThan(5);

    await incoming.accept();
    await until(steps, 'started');
    const talking = await metrics(main);
    expect(sample(talking, 'callgate_live_calls', { phase: 'talking' })).toBe(1);
    expect(sample(talking, 'callgate_live_calls', { phase: 'ringing' })).toBe(0);
    expect(sample(talking, 'callgate_call_setup_seconds_count')).toBe(1);

    await incoming.hangup();
    await until(steps, 'ended');
    agent!.client.videoCallControl(VideoCallEvent.FINISH, 'm-customer');
    expect((await agent!.errors.next('NOTINCALL')).code).toBe(ErrorCode.NOTINCALL);
    expect(await until(stepsOf(customer!.client.call('m-nobody')), 'ended')).toBe(`ended:${ErrorCode.OFFLINE}`);

    expect((await apiGet(main, '/api/calls', 'metrics-admin-key-0123')).body.calls).toHaveLength(2); // and so every record is written
    const after = await metrics(main);
    expect(sample(after, 'callgate_calls_ended_total', { outcome: 'completed' })).toBe(1);
    expect(sample(after, 'callgate_calls_ended_total', { outcome: 'offline' })).toBe(1);
    expect(sample(after, 'callgate_calls_requested_total')).toBe(1);
    expect(sample(after, 'callgate_live_calls', { phase: 'talking' })).toBe(0);
    expect(sample(after, 'callgate_messages_refused_total', { reason: 'NOTINCALL' })).toBe(1);
    expect(sample(after, 'callgate_messages_received_total', { type: 'auth' })).toBe(2);
    expect(sample(after, 'callgate_messages_received_total', { type: 'control' })).toBe(5);
    expect(sample(after, 'callgate_messages_sent_total', { type: 'welcome' })).toBe(2);
    expect(sample(after, 'callgate_messages_sent_total', { type: 'event' })).toBe(7);
    expect(sample(after, 'callgate_records_written_total')).toBe(5);
    expect(sample(after, 'callgate_record_queue_depth')).toBe(0);

    const other = await metrics(quiet);
    expect(sample(other, 'callgate_calls_ended_total', { outcome: 'completed' })).toBeUndefined();
    expect(sample(other, 'callgate_messages_received_total', { type: 'control' })).toBeUndefined();
  });

  it('counts messages that do not parse, and refusals by reason', async () => {
    const main = await server();
    const [user] = await connect(main, 'm-sender');
    user!.client.videoCallControl(VideoCallEvent.REPLY, 'm-nobody');
    await user!.errors.next('NOTINCALL');
    const raw = await RawSocket.open(main);
    raw.send('this is not JSON');
    expect(await raw.next('error')).toMatchObject({ type: 'error', name: 'NOT_AUTHENTICATED' });
    await raw.closed;
    const text = await metrics(main);
    expect(sample(text, 'callgate_messages_received_total', { type: 'invalid' })).toBe(1);
    expect(sample(text, 'callgate_messages_refused_total', { reason: 'NOTINCALL' })).toBe(1);
    expect(sample(text, 'callgate_messages_refused_total', { reason: 'NOT_AUTHENTICATED' })).toBe(1);
    expect(sample(text, 'callgate_messages_sent_total', { type: 'error' })).toBe(2);
  });
});

describe('/healthz and /readyz', () => {
  it('answer while the process and its records database are up', async () => {
    const main = await server();
    expect((await apiGet(main, '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await apiGet(main, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', state: true, records: true });
  });
});

describe('log lines', () => {
  it('each line has one component key; the webhook sender’s is "webhook"', async () => {
    const { logger, text } = capturedLogger('warn');
    const main = await server({ logger, webhook: { url: 'http://127.0.0.1:9/hooks', secret: 'webhook-secret-0123456' } });
    const [caller] = await connect(main, 'w-caller');
    await until(stepsOf(caller!.client.call('w-nobody')), 'ended');
    await waitUntil('a webhook warning', () => text().some((line) => line.includes('webhook delivery failed')), 10_000);
    const webhookLine = text().find((line) => line.includes('webhook delivery failed'))!;
    expect(JSON.parse(webhookLine)).toMatchObject({ component: 'webhook' });
    for (const line of text()) expect(line.match(/"component":/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
  });
});

describe('call transition logs', () => {
  it('one JSON line per transition with the call id, the users and the outcome', async () => {
    const { logger, lines } = capturedLogger('info');
    const main = await server({ logger });
    const [customer, agent] = await connect(main, 'l-customer', 'l-agent');
    const calls = incomingCalls(agent!);
    const steps = stepsOf(customer!.client.call('l-agent'));
    const incoming = await calls.next('incoming');
    await incoming.reject(4711);
    expect(await until(steps, 'ended')).toBe('ended:4711');
    const transitions = lines().filter((line) => line.callId === incoming.callId);
    expect(transitions.map((line) => [line.transition, line.msg])).toEqual([
      ['requested', 'call requested'],
      ['ringing', 'call ringing'],
      ['ended', 'call ended: refused'],
    ]);
    for (const line of transitions) expect(line).toMatchObject({ caller: 'l-customer', callee: 'l-agent', level: 30 });
    expect(transitions[2]).toMatchObject({ outcome: 'refused', errorCode: 4711, endedBy: 'l-agent', from: 'ringing' });

    await until(stepsOf(customer!.client.call('l-nobody')), 'ended');
    const refusedAtOnce = lines().filter((line) => line.callee === 'l-nobody');
    expect(refusedAtOnce).toHaveLength(1);
    expect(refusedAtOnce[0]).toMatchObject({ transition: 'ended', outcome: 'offline', errorCode: ErrorCode.OFFLINE, from: 'requested' });
  });
});
