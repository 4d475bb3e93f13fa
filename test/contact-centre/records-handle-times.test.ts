/**
 * The estimated wait a customer is told counts with the queue's real handle time: the average
 * talk time of its last served calls, read from the call records when the server starts (and
 * every 30 s after).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CallRecordView, RunningServer } from '@callgate/server';
import { freshDatabase } from '../support/databases.js';
import { callRecord } from '../support/history.js';
import { answerOffer, availableAgent, enterQueue, hangUp, WireUser } from '../support/queue-wire.js';
import { sleep, startTestServer, waitUntil } from '../support/servers.js';

const ADMIN = 'handle-times-admin';
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('handle times in the position estimate', () => {
  it('a customer behind one in a call is told the average talk time of the queue\u2019s served calls', async () => {
    const database = await freshDatabase('sqlite');
    cleanups.push(() => database.drop());
    const options = { db: database.db, adminKey: ADMIN, graceMs: 300, queues: [{ id: 'ht', name: 'Handle times', wrapUp: 0 }] };
    const start = async (): Promise<RunningServer> => {
      const server = await startTestServer(options);
      cleanups.push(() => server.close());
      return server;
    };
    const users: WireUser[] = [];
    cleanups.push(async () => users.forEach((user) => user.close()));

    const first = await start();
    const anna = await availableAgent(first, 'ht-anna', ['ht']);
    users.push(anna);
    const talked: CallRecordView[] = [];
    for (const [i, ms] of [30, 90].entries()) {
      const customer = await WireUser.connect(first, `ht-before-${i}`);
      users.push(customer);
      await enterQueue(customer, 'ht');
      const callId = await answerOffer(anna, customer);
      await sleep(ms);
      await hangUp(customer, anna);
      await anna.agentStatus('available');
      await waitUntil('the call\u2019s end in its record', async () => (await callRecord(first, callId, ADMIN)).durationMs !== null);
      talked.push(await callRecord(first, callId, ADMIN));
    }
    users.splice(0).forEach((user) => user.close());
    await first.close();
    const average = Math.round(talked.reduce((sum, call) => sum + call.durationMs!, 0) / talked.length);

    const second = await start();
    const bob = await availableAgent(second, 'ht-bob', ['ht']);
    const inCall = await WireUser.connect(second, 'ht-in-call');
    const behind = await WireUser.connect(second, 'ht-behind');
    users.push(bob, inCall, behind);
    await enterQueue(inCall, 'ht');
    await answerOffer(bob, inCall);
    await enterQueue(behind, 'ht');
    // Position 1, no agent available, one on duty: one average handle time.
    const position = await behind.take((m) => m.type === 'entry.position' && m.agentsAvailable === 0, 'a position with the agent busy');
    expect(position).toMatchObject({ position: 1, ahead: 0, agentsAvailable: 0, estimatedWaitMs: average });
  });
});
