/**
 * The contact centre as a property (docs/contact-centre.md, "Guarantees"): random customers
 * entering and leaving, agents changing status, accepting, refusing, not answering, hanging up,
 * transferring, dropping and coming back, timers running out — and after every step: nobody is
 * offered two things at once, the right customer was offered, no pair of a free agent and a
 * waiting customer it could serve is left idle, and every entry ends exactly once.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallRecord, UserRecord } from '../src/calls/types.js';
import { lineScore, servedBefore } from '../src/queues/order.js';
import type { EntryRecord } from '../src/queues/types.js';
import { QueueWorld } from './support/queue-world.js';

const QUEUES = [
  { id: 'general', name: 'General', priority: 0, wrapUp: 600 },
  { id: 'vip', name: 'VIP', priority: 5, skills: ['gold'], wrapUp: 600 },
  { id: 'callback', name: 'Call-backs', mode: 'manual' as const, wrapUp: 0 }, // no wrap-up: free at once
];
const AGENTS: Record<string, { queues: string[]; skills: string[] }> = {
  a1: { queues: ['general', 'vip'], skills: ['gold'] },
  a2: { queues: ['general', 'callback'], skills: [] },
  a3: { queues: ['vip', 'callback'], skills: ['gold'] },
};
const CUSTOMERS = ['c1', 'c2', 'c3', 'c4', 'c5'];
const PRIORITY: Record<string, number> = { c4: 40 };

type Op =
  | { kind: 'enter'; customer: string; queue: string }
  | { kind: 'leave' | 'wait-out'; customer: string }
  | { kind: 'available' | 'away' | 'accept' | 'refuse' | 'ring-out' | 'end-wrap-up' | 'wrap-out' | 'next' | 'hang-up-agent'; agent: string }
  | { kind: 'hang-up-customer'; customer: string }
  | { kind: 'transfer'; agent: string; queue: string }
  | { kind: 'drop' | 'back' | 'grace-over'; user: string }
  | { kind: 'tick'; ms: number };

const agent = fc.constantFrom(...Object.keys(AGENTS));
const customer = fc.constantFrom(...CUSTOMERS);
const queue = fc.constantFrom(...QUEUES.map((q) => q.id));
const user = fc.constantFrom(...Object.keys(AGENTS), ...CUSTOMERS);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('enter' as const), customer, queue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('leave' as const, 'wait-out' as const), customer }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('available' as const), agent }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('away' as const), agent }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('accept' as const), agent }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('refuse' as const, 'ring-out' as const), agent }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('hang-up-agent' as const), agent }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('end-wrap-up' as const, 'wrap-out' as const), agent }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('next' as const), agent }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hang-up-customer' as const), customer }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('transfer' as const), agent, queue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('drop' as const, 'back' as const, 'grace-over' as const), user }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 5000 }) }) },
);

interface State {
  users: Map<string, UserRecord>;
  calls: CallRecord[];
  entries: Map<string, EntryRecord>;
}

async function read(w: QueueWorld): Promise<State> {
  const ids = [...Object.keys(AGENTS), ...CUSTOMERS];
  const records = await w.backend.userRecords(ids);
  const users = new Map(records.flatMap((u) => (u ? [[u.userId, u] as const] : [])));
  return { users, calls: await w.backend.liveCalls(), entries: new Map((await w.backend.liveEntries()).map((e) => [e.entryId, e])) };
}

/** Whether the user's (one) device has its socket: not in a grace period. */
const connected = (user: UserRecord | undefined): boolean => user?.devices.some((device) => device.connected) === true;

/** Whether `a` may be offered `entry` now, by the rules (docs/contact-centre.md, "Routing"). */
function eligible(s: State, agentId: string, entry: EntryRecord): boolean {
  const a = s.users.get(agentId);
  const c = s.users.get(entry.customer);
  const q = QUEUES.find((x) => x.id === entry.queue)!;
  return (
    !!a?.agent &&
    connected(a) &&
    a.callId === null &&
    a.agent.status === 'available' &&
    a.agent.queues.includes(q.id) &&
    (q.skills ?? []).every((k) => a.agent!.skills.includes(k)) &&
    !entry.tried.includes(agentId) &&
    !!c &&
    connected(c) &&
    c.callId === null &&
    entry.state === 'waiting'
  );
}

async function apply(w: QueueWorld, o: Op): Promise<void> {
  const online = async (id: string): Promise<UserRecord | undefined> => (await w.backend.userRecords([id]))[0];
  const callOf = async (id: string): Promise<CallRecord | undefined> => (await w.backend.liveCalls()).find((c) => c.caller === id || c.callee === id);
  switch (o.kind) {
    case 'enter':
      if (await online(o.customer)) await w.enter(o.customer, o.queue);
      return;
    case 'leave':
      if (await online(o.customer)) await w.leave(o.customer);
      return;
    case 'wait-out': {
      const entryId = (await online(o.customer))?.entryId;
      if (!entryId) return;
      w.advance(600_001);
      await w.input({ kind: 'wait-expired', entryId });
      return;
    }
    case 'available':
    case 'away':
      if (await online(o.agent)) await (o.kind === 'available' ? w.available(o.agent) : w.away(o.agent, 'break'));
      return;
    case 'accept':
    case 'refuse': {
      const call = await callOf(o.agent);
      if (call?.phase === 'ringing' && call.callee === o.agent) await (o.kind === 'accept' ? w.accept(o.agent, call.caller) : w.refuse(o.agent, call.caller));
      return;
    }
    case 'ring-out': {
      const call = await callOf(o.agent);
      if (call?.phase === 'ringing') await w.offerTimesOut(call.callId);
      return;
    }
    case 'hang-up-agent':
    case 'hang-up-customer': {
      const id = 'agent' in o ? o.agent : o.customer;
      const call = await callOf(id);
      if (call) await w.hangUp(id, call.caller === id ? call.callee : call.caller);
      return;
    }
    case 'end-wrap-up':
      if (await online(o.agent)) await w.endWrapUp(o.agent);
      return;
    case 'wrap-out': {
      const wrapUp = (await online(o.agent))?.agent?.wrapUp;
      if (!wrapUp) return;
      w.now = Math.max(w.now, wrapUp.until);
      await w.input({ kind: 'wrap-up-expired', userId: o.agent, callId: wrapUp.callId });
      return;
    }
    case 'next':
      if (await online(o.agent)) await w.next(o.agent);
      return;
    case 'transfer':
      if (await online(o.agent)) await w.transfer(o.agent, { queue: o.queue });
      return;
    case 'drop': {
      const u = await online(o.user);
      if (connected(u)) await w.drop(o.user);
      return;
    }
    case 'back': {
      const u = await online(o.user);
      if (u && !connected(u)) await w.connect(o.user, AGENTS[o.user] ? { role: 'agent', ...AGENTS[o.user] } : {});
      if (!u) await w.connect(o.user, AGENTS[o.user] ? { role: 'agent', ...AGENTS[o.user] } : { priority: PRIORITY[o.user] ?? 0 });
      return;
    }
    case 'grace-over': {
      const u = await online(o.user);
      if (u && !connected(u)) await w.graceOver(o.user);
      return;
    }
    case 'tick':
      w.advance(o.ms);
      return;
  }
}

function check(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

/** Everything that must hold after every step; `before` is the state the step started from. */
function invariants(w: QueueWorld, before: State, after: State, from: number, where: () => string): void {
  const ringing = new Map<string, CallRecord>();
  for (const call of after.calls) {
    for (const party of [call.caller, call.callee]) {
      check(after.users.get(party)?.callId === call.callId, () => `${where()}: ${party} in ${call.callId} without pointing at it`);
    }
    if (call.entryId === undefined) continue;
    const entry = after.entries.get(call.entryId);
    check(entry?.callId === call.callId, () => `${where()}: queue call ${call.callId} of entry ${call.entryId} that points elsewhere`);
    const agentState = after.users.get(call.callee)?.agent?.status;
    if (call.phase === 'ringing') {
      ringing.set(call.callId, call);
      check(entry?.state === 'offered' && entry.agent === call.callee, () => `${where()}: ringing ${call.callId} but entry ${JSON.stringify(entry)}`);
      check(agentState === 'offered' || agentState === 'away', () => `${where()}: ${call.callee} rings an offer while ${agentState}`);
    } else {
      check(entry?.state === 'connected' && agentState === 'talking', () => `${where()}: talking ${call.callId} with entry ${entry?.state} and agent ${agentState}`);
    }
  }
  for (const entry of after.entries.values()) {
    const customer = after.users.get(entry.customer);
    check(!customer || customer.entryId === entry.entryId, () => `${where()}: ${entry.customer} does not point at its entry ${entry.entryId}`);
    if (entry.state === 'offered') check(ringing.has(entry.callId ?? ''), () => `${where()}: entry ${entry.entryId} offered without a ringing call`);
    if (entry.state === 'waiting') check(entry.callId === undefined, () => `${where()}: waiting entry ${entry.entryId} with a call`);
  }
  for (const u of after.users.values()) {
    if (u.entryId !== undefined) check(after.entries.has(u.entryId), () => `${where()}: ${u.userId} points at a gone entry`);
    const status = u.agent?.status;
    if (status === 'offered') check(u.callId !== null && ringing.has(u.callId), () => `${where()}: ${u.userId} offered without a ringing offer`);
    if (status === 'wrap-up') check(u.callId === null && u.agent?.wrapUp !== undefined, () => `${where()}: ${u.userId} in wrap-up with a call`);
  }
  // Every entry ends once, and an ended entry is gone.
  const ended = new Map<string, number>();
  for (const e of w.ended()) ended.set(e.entryId, (ended.get(e.entryId) ?? 0) + 1);
  for (const [entryId, count] of ended) {
    check(count === 1, () => `${where()}: entry ${entryId} ended ${count} times`);
    check(!after.entries.has(entryId), () => `${where()}: entry ${entryId} ended but is still there`);
  }
  // The customer offered was the one to serve: nobody better for that agent was left waiting.
  for (const t of w.transitions.slice(from)) {
    if (t.type !== 'offered' || t.entry.transfers.at(-1)?.toAgent === t.agent) continue;
    const offered = { queuePriority: QUEUES.find((q) => q.id === t.entry.queue)!.priority ?? 0, score: lineScore(t.entry), entryId: t.entry.entryId };
    for (const other of after.entries.values()) {
      const was = before.entries.get(other.entryId);
      if (!was || other.entryId === t.entry.entryId || !eligible({ ...after, users: before.users }, t.agent, { ...other, tried: was.tried })) continue;
      const q = QUEUES.find((x) => x.id === other.queue)!;
      if (q.mode === 'manual' && t.entry.queue !== other.queue) continue;
      const candidate = { queuePriority: q.priority ?? 0, score: lineScore(other), entryId: other.entryId };
      check(!servedBefore(candidate, offered) || other.state !== 'waiting', () => `${where()}: ${t.agent} was offered ${t.entry.entryId} while ${other.entryId} goes first`);
    }
  }
  // Work-conserving: no free agent is left beside a waiting customer it could take (auto queues).
  for (const entry of after.entries.values()) {
    if (QUEUES.find((q) => q.id === entry.queue)?.mode === 'manual') continue;
    for (const agentId of Object.keys(AGENTS)) {
      check(!eligible(after, agentId, entry), () => `${where()}: ${agentId} is free while ${entry.entryId} (${entry.customer}) waits in ${entry.queue}`);
    }
  }
}

let world: QueueWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('the contact centre (fast-check model)', () => {
  it('no double offer, the right customer first, no idle pair, every entry ends exactly once', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 80 }), async (ops) => {
        await world?.close();
        const w = (world = new QueueWorld(QUEUES));
        for (const [id, claims] of Object.entries(AGENTS)) {
          await w.agent(id, claims.queues, { skills: claims.skills });
          await w.available(id);
        }
        for (const id of CUSTOMERS) await w.connect(id, { priority: PRIORITY[id] ?? 0 });
        let step = 0;
        for (const o of ops) {
          const before = await read(w);
          const from = w.transitions.length;
          await apply(w, o);
          step += 1;
          const after = await read(w);
          invariants(w, before, after, from, () => `step ${step} ${JSON.stringify(o)}`);
          for (const t of w.transitions.slice(from)) {
            const what = t.type === 'ended' ? `ended:${t.outcome}` : t.type;
            seen.set(what, (seen.get(what) ?? 0) + 1);
          }
        }
        // The end of the day: every call hung up, every customer gone; every entry that began has ended once.
        for (const call of await w.backend.liveCalls()) await w.hangUp(call.caller, call.callee);
        for (const id of CUSTOMERS) {
          const u = (await w.backend.userRecords([id]))[0];
          if (connected(u)) await w.drop(id, true);
          else if (u) await w.graceOver(id);
        }
        const entered = new Set(w.transitions.flatMap((t) => (t.type === 'entered' ? [t.entry.entryId] : [])));
        const endedIds = w.ended().map((e) => e.entryId);
        expect(new Set(endedIds)).toEqual(entered);
        expect(endedIds.length).toBe(entered.size);
        expect(await w.backend.liveEntries()).toEqual([]);
      }),
      { numRuns: 1000 },
    );
    // The runs reached the steps under test, not only trivial ones.
    for (const what of ['entered', 'offered', 'answered', 'offer-ended', 'transferred', 'wrapped-up', 'ended:served', 'ended:abandoned', 'ended:timeout']) {
      expect(seen.get(what) ?? 0, what).toBeGreaterThan(5);
    }
  });
});
