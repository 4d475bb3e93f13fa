// A small help desk: two queues (examples/queues.json), two agents, three customers. The customers
// wait, see their place in line count down, and are served in order: VIP first, then first come,
// first served. Anna starts alone (she serves both queues); Bob joins later. Each agent talks for a
// moment, hangs up and takes the next customer.
// Usage: CALLGATE_SECRET=<the server's --secret> node examples/contact-centre.mjs [ws://127.0.0.1:8080]
import { CallClient } from '@callgate/client';
import { createAccessToken } from '@callgate/business';

const url = process.argv[2] ?? 'ws://127.0.0.1:8080';
const secret = process.env.CALLGATE_SECRET;
if (!secret) throw new Error('set CALLGATE_SECRET to the server\'s --secret');
const connect = async (userId, claims = {}) => {
  const client = new CallClient({ url, token: await createAccessToken({ secret, userId, ...claims }), media: false });
  await client.connect();
  return client;
};

const anna = await connect('anna', { role: 'agent', queues: ['billing', 'vip'] });
const bob = await connect('bob', { role: 'agent', queues: ['billing'] });
const customers = [
  [await connect('carol'), 'billing'],
  [await connect('dave'), 'billing'],
  [await connect('erin', { priority: 0 }), 'vip'],
];
const log = (line) => console.log(line);
let served = 0;
const allServed = new Promise((resolve) => {
  for (const [client] of customers) {
    client.on('error', (error) => log(`${client.userId}: ${error.codeName}`));
  }
  for (const agent of [anna, bob]) {
    agent.on('incoming', (call) => {
      log(`${agent.userId} is offered ${call.peer} (${call.queue}): "${call.userStr}"`);
      call.on('started', () => setTimeout(() => call.hangup(), 1500));
      call.on('ended', () => {
        if (++served === customers.length) resolve();
      });
      void call.accept();
    });
  }
});

// The customers enter first, one after another, while nobody is available yet.
const entries = [];
for (const [client, queue] of customers) {
  const entry = await client.enterQueue(queue, { userStr: `${client.userId}'s question` });
  let shown = '';
  const show = (e) => {
    if (e.state === 'ended' || (e.state === 'waiting' && e.position === undefined)) return;
    const where = e.state === 'waiting' ? `#${e.position} in ${e.queue}, ~${Math.round(e.estimatedWaitMs / 1000)} s` : `${e.state} ${e.agent}`;
    if (where !== shown) log(`${client.userId}: ${(shown = where)}`);
  };
  // The first position may have come with the entry itself: show what the entry knows, then follow it.
  show(entry);
  entry.on('update', show);
  entry.on('ended', (outcome) => log(`${client.userId}: ${outcome}`));
  entries.push(entry);
  await new Promise((resolve) => setTimeout(resolve, 50));
}
await new Promise((resolve) => setTimeout(resolve, 1200)); // the positions arrive
await anna.setAgentStatus('available');
await new Promise((resolve) => setTimeout(resolve, 2000));
await bob.setAgentStatus('available');
await allServed;
await new Promise((resolve) => setTimeout(resolve, 200));
for (const client of [anna, bob, ...customers.map(([c]) => c)]) client.close();
