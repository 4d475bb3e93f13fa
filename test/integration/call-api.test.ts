import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type Call } from '@callgate/client';
import { incomingCalls, stepsOf } from '../support/calls.js';
import { startTestServer, type TestServer } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

let server: TestServer | undefined;
const opened: TestUser[] = [];

async function pair(): Promise<[TestUser, TestUser]> {
  server = await startTestServer({ ringTimeoutMs: 60_000 });
  const a = await TestUser.connect(server, 'agent');
  const c = await TestUser.connect(server, 'customer');
  opened.push(a, c);
  return [c, a];
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Whether what `ref` points to is garbage-collected within a few collections. */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    // A WeakRef keeps its target for the rest of the job that read it: collect in later turns.
    await new Promise((resolve) => setTimeout(resolve, 10));
    gc();
    if (ref.deref() === undefined) return true;
  }
  return false;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((u) => u.close()));
  await server?.close();
});

describe('the idiomatic Call API', () => {
  it('call → incoming → accept → started with one roomId → hangup → ended', async () => {
    const [customer, agent] = await pair();
    const calls = incomingCalls(agent);
    const outgoing = customer.client.call('agent', { flags: 3, userStr: 'My order is late' });
    expect(outgoing.state).toBe('dialing');
    const outSteps = stepsOf(outgoing);
    const call = await calls.next('incoming call');
    expect([call.peer, call.direction, call.state, call.userStr, call.flags]).toEqual([
      'customer',
      'incoming',
      'ringing',
      'My order is late',
      3,
    ]);
    expect(await outSteps.next('ringing')).toBe('ringing');
    const inSteps = stepsOf(call);
    await call.accept();
    const started = await outSteps.next('started');
    expect(await inSteps.next('started')).toBe(started);
    expect(outgoing.roomId).toBe(call.roomId);
    expect(outgoing.callId).toBe(call.callId);
    expect(customer.client.currentCall).toBe(outgoing);
    await call.hangup();
    expect(await outSteps.next('ended')).toBe('ended:0');
    expect(await inSteps.next('ended')).toBe('ended:0');
    expect(customer.client.currentCall).toBeNull();
  });

  it('ended carries the userStr of the FINISH (or refusing REPLY) that ended the call; errorCode stays first', async () => {
    const [customer, agent] = await pair();
    const calls = incomingCalls(agent);
    const endings = (call: Call): Promise<[number, string]> => new Promise((resolve) => call.once('ended', (code, userStr) => resolve([code, userStr])));

    const outgoing = customer.client.call('agent');
    const incoming = await calls.next('incoming');
    const outEnded = endings(outgoing);
    const started = new Promise((resolve) => outgoing.once('started', resolve));
    await incoming.accept();
    await started;
    await incoming.hangup(8001, { userStr: 'closing time' });
    expect(await outEnded).toEqual([8001, 'closing time']);

    const second = customer.client.call('agent');
    const secondEnded = endings(second);
    await (await calls.next('second incoming')).reject(ErrorCode.REJECT, { userStr: 'in a meeting' });
    expect(await secondEnded).toEqual([ErrorCode.REJECT, 'in a meeting']);
  });

  it('reject() ends the caller’s call with REJECT', async () => {
    const [customer, agent] = await pair();
    const calls = incomingCalls(agent);
    const steps = stepsOf(customer.client.call('agent'));
    await (await calls.next('incoming')).reject();
    expect(await steps.next('ringing')).toBe('ringing');
    expect(await steps.next('ended')).toBe(`ended:${ErrorCode.REJECT}`);
  });

  it('a rejected call is let go of: the client keeps nothing of it', async () => {
    const [customer, agent] = await pair();
    const calls = incomingCalls(agent);
    const steps = stepsOf(customer.client.call('agent'));
    const rejected = new WeakRef(await calls.next('incoming'));
    await rejected.deref()?.reject();
    expect(await steps.next('ringing')).toBe('ringing');
    expect(await steps.next('ended')).toBe(`ended:${ErrorCode.REJECT}`);
    expect(agent.client.currentCall).toBeNull();
    expect(await collected(rejected)).toBe(true);
  });

  it('hangup() before the answer cancels on both sides', async () => {
    const [customer, agent] = await pair();
    const calls = incomingCalls(agent);
    const outgoing = customer.client.call('agent');
    const outSteps = stepsOf(outgoing);
    const inSteps = stepsOf(await calls.next('incoming'));
    expect(await outSteps.next('ringing')).toBe('ringing');
    await outgoing.hangup();
    expect(await outSteps.next('ended')).toBe(`ended:${ErrorCode.CANCEL}`);
    expect(await inSteps.next('ended')).toBe(`ended:${ErrorCode.CANCEL}`);
  });

  it('a refused control rejects its promise with the code (NOTINCALL)', async () => {
    const [customer] = await pair();
    const outgoing = customer.client.call('agent');
    await new Promise<void>((resolve) => outgoing.once('ringing', () => resolve()));
    await outgoing.hangup();
    await expect(outgoing.hangup()).rejects.toMatchObject({ code: ErrorCode.NOTINCALL, codeName: 'NOTINCALL' });
  });

  it('calling back a caller is saying yes (glare): one call, started on both sides', async () => {
    const [customer, agent] = await pair();
    const calls = incomingCalls(agent);
    const outgoing = customer.client.call('agent');
    const outSteps = stepsOf(outgoing);
    const ringingAtAgent = await calls.next('incoming');
    const inSteps = stepsOf(ringingAtAgent);
    const callback = agent.client.call('customer');
    expect(callback).toBe(ringingAtAgent);
    expect(await outSteps.next('ringing')).toBe('ringing');
    const started = await outSteps.next('started');
    expect(await inSteps.next('started')).toBe(started);
  });

  it('an offline callee ends the call with OFFLINE', async () => {
    const [customer] = await pair();
    const steps = stepsOf(customer.client.call('nobody-home'));
    expect(await steps.next('ended')).toBe(`ended:${ErrorCode.OFFLINE}`);
  });
});
