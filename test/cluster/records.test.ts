import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startServer, type RunningServer } from '@callgate/server';
import { incomingCalls, stepsOf, until } from '../support/calls.js';
import { freshDatabase } from '../support/databases.js';
import { callRecord } from '../support/history.js';
import { TEST_SECRET } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

const ADMIN = 'cluster-records-admin';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

describe('call records of a cluster in one PostgreSQL database', () => {
  it('a node that starts keeps the records of calls other nodes run; a node that drains hands its users over, calls kept', async () => {
    const database = await freshDatabase('postgres');
    cleanups.push(() => database.drop());
    const redisPrefix = `cgtest-${randomUUID().slice(0, 8)}:`;
    const node = async (): Promise<RunningServer> => {
      const started = await startServer({
        port: 0,
        secret: TEST_SECRET,
        logLevel: 'silent',
        redis: inject('redisUrl'),
        redisPrefix,
        db: database.db,
        adminKey: ADMIN,
      });
      cleanups.push(() => started.close());
      return started;
    };
    const connect = async (on: RunningServer, userId: string): Promise<TestUser> => {
      const user = await TestUser.connect(on, userId);
      cleanups.push(() => user.close());
      return user;
    };
    const talk = async (caller: TestUser, callee: TestUser) => {
      const calls = incomingCalls(callee);
      const outgoing = caller.client.call(callee.userId);
      const steps = stepsOf(outgoing);
      const incoming = await calls.next('incoming');
      await incoming.accept();
      await until(steps, 'started');
      return { outgoing, steps, incoming };
    };

    const [a, b] = [await node(), await node()];
    const agent = await connect(b, 'r-agent');
    const acrossNodes = await talk(await connect(a, 'r-customer'), agent);
    const onA = await talk(await connect(a, 'r-caller'), await connect(a, 'r-callee'));

    const c = await node();
    expect(await callRecord(c, acrossNodes.outgoing.callId!, ADMIN)).toMatchObject({ phase: 'talking', outcome: null });
    await c.close();

    agent.states.clear();
    agent.proxy.retarget(a.port); // the load balancer sends the agent to the node that stays
    await b.close({ drainTimeoutMs: 0 });
    while ((await agent.states.next('the agent back on node a')) !== 'connected');
    expect(agent.client.welcome?.resumed).toBe(true);
    expect(await callRecord(a, acrossNodes.outgoing.callId!, ADMIN)).toMatchObject({ phase: 'talking', outcome: null });
    await acrossNodes.incoming.hangup();
    expect(await until(acrossNodes.steps, 'ended')).toBe('ended:0');
    expect(await callRecord(a, acrossNodes.outgoing.callId!, ADMIN)).toMatchObject({ outcome: 'completed', endedBy: 'r-agent' });
    expect(await callRecord(a, onA.outgoing.callId!, ADMIN)).toMatchObject({ phase: 'talking', outcome: null });
    await onA.incoming.hangup();
    expect(await until(onA.steps, 'ended')).toBe('ended:0');
    expect(await callRecord(a, onA.outgoing.callId!, ADMIN)).toMatchObject({ outcome: 'completed', endedBy: 'r-callee' });
  }, 30_000);
});
