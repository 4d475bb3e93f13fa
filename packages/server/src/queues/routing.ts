import { VideoCallEvent, type Queue } from '@callgate/protocol';
import { echoOf, requestStepOf, ringTimerKey, stepOf, type DecisionDraft } from '../calls/draft.js';
import type { CallRecord, UserRecord } from '../calls/types.js';
import { isPresent, present } from '../calls/devices.js';
import { changeAgent } from './agents.js';
import { lineScore, servedBefore } from './order.js';
import type { EntryRecord } from './types.js';

export const waitTimerKey = (entryId: string): string => `wait:${entryId}`;

/** How far routing looks down a line, or an agent list, in one decision; and in steps of how many. */
const SCAN = 50;
const STEP = 10;

/**
 * Whether `agentId` may be offered `entry` of `queue` now (docs/contact-centre.md, "Routing"):
 * connected, available, in no call, not offered this entry before, and — unless the entry is
 * transferred to it by name — serving the queue with all of its skills.
 */
export function canTake(draft: DecisionDraft, agentId: string, entry: EntryRecord, queue: Queue, named = false): boolean {
  if (agentId === entry.customer || entry.tried.includes(agentId)) return false;
  const user = draft.user(agentId);
  const agent = user?.agent;
  if (!user || !agent || !present(user) || user.callId !== null || agent.status !== 'available') return false;
  return named || (agent.queues.includes(queue.id) && queue.skills.every((skill) => agent.skills.includes(skill)));
}

/** The customer's device that takes part in its queue calls: the one that entered, while it is there. */
function customerDevice(customer: UserRecord, entry: EntryRecord): string {
  const entered = customer.devices.find((d) => d.deviceId === entry.device);
  return (entered ?? customer.devices.find(isPresent) ?? customer.devices[0])?.deviceId ?? entry.device;
}

/** Whether the entry's customer can take a call now: connected (not in a grace period) and in no call. */
function customerReady(draft: DecisionDraft, entry: EntryRecord): boolean {
  const customer = draft.user(entry.customer);
  return customer !== undefined && present(customer) && customer.callId === null && customer.entryId === entry.entryId;
}

/**
 * Offers `entry` to the longest-idle agent who can take it; false when nobody can. The agents come
 * from the queue's available list as read, and from the agents this decision made available.
 */
export function routeEntry(draft: DecisionDraft, entry: EntryRecord): boolean {
  const queue = draft.ctx.queue(entry.queue);
  if (!queue || queue.mode !== 'auto' || entry.state !== 'waiting' || !customerReady(draft, entry)) return false;
  const fresh = freshlyAvailable(draft, queue.id);
  for (let from = 0; from < SCAN; from += STEP) {
    const listed = draft.queues.available(queue.id, from, STEP);
    const candidates = from === 0 ? longestIdleFirst(draft, [...new Set([...fresh, ...listed])]) : listed;
    const agentId = candidates.find((id) => canTake(draft, id, entry, queue));
    if (agentId !== undefined) {
      offer(draft, entry, agentId, queue);
      return true;
    }
    if (listed.length < STEP) break;
  }
  return false;
}

/** The agents of `queue` this decision wrote as available (the list read does not hold them yet). */
function freshlyAvailable(draft: DecisionDraft, queue: string): string[] {
  const ids: string[] = [];
  for (const [userId, user] of draft.decision.users) {
    if (user?.agent?.status === 'available' && user.agent.queues.includes(queue)) ids.push(userId);
  }
  return ids;
}

function longestIdleFirst(draft: DecisionDraft, ids: string[]): string[] {
  const idle = (id: string): number => draft.user(id)?.agent?.idleSince ?? Infinity;
  return ids.sort((a, b) => idle(a) - idle(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** The first waiting entry of `queue`'s line that `accept`s, looking at most SCAN entries down. */
function firstWaiting(draft: DecisionDraft, queue: Queue, accept: (entry: EntryRecord) => boolean): EntryRecord | undefined {
  for (let from = 0; from < SCAN; from += STEP) {
    const ids = draft.queues.line(queue.id, from, STEP);
    for (const id of ids) {
      const entry = draft.entry(id);
      if (entry?.state === 'waiting' && entry.queue === queue.id && accept(entry)) return entry;
    }
    if (ids.length < STEP) break;
  }
  return undefined;
}

/** The entry an agent should take next among its queues: queue priority, then the line's order. */
export function bestFor(draft: DecisionDraft, user: UserRecord, modes: readonly Queue['mode'][]): { entry: EntryRecord; queue: Queue } | undefined {
  const agent = user.agent;
  if (!agent) return undefined;
  let best: { entry: EntryRecord; queue: Queue } | undefined;
  for (const queueId of agent.queues) {
    const queue = draft.ctx.queue(queueId);
    if (!queue || !modes.includes(queue.mode) || !queue.skills.every((skill) => agent.skills.includes(skill))) continue;
    const entry = firstWaiting(
      draft,
      queue,
      (e) => e.customer !== user.userId && !e.tried.includes(user.userId) && customerReady(draft, e),
    );
    if (!entry) continue;
    const candidate = { queuePriority: queue.priority, score: lineScore(entry), entryId: entry.entryId };
    const current = best && { queuePriority: best.queue.priority, score: lineScore(best.entry), entryId: best.entry.entryId };
    if (!current || servedBefore(candidate, current)) best = { entry, queue };
  }
  return best;
}

/** An agent became free: offer it the customer it should serve next, if any (auto queues). */
export function routeAgent(draft: DecisionDraft, agentId: string): void {
  const user = draft.user(agentId);
  if (!user?.agent || !present(user) || user.callId !== null || user.agent.status !== 'available') return;
  const best = bestFor(draft, user, ['auto']);
  if (best) offer(draft, best.entry, agentId, best.queue);
}

/** Offers the waiting customers of `queue` to whoever can take them, from the head of the line. */
export function routeQueue(draft: DecisionDraft, queueId: string): void {
  const queue = draft.ctx.queue(queueId);
  if (!queue || queue.mode !== 'auto') return;
  for (let from = 0; from < SCAN; from += STEP) {
    const ids = draft.queues.line(queueId, from, STEP);
    for (const id of ids) {
      const entry = draft.entry(id);
      if (entry) routeEntry(draft, entry);
    }
    if (ids.length < STEP) break;
  }
}

/**
 * An offer is an ordinary call from the customer to the agent: the agent gets REQUEST (with the
 * queue), rings for the queue's offer timeout; the customer hears only its entry's new state.
 */
export function offer(draft: DecisionDraft, entry: EntryRecord, agentId: string, queue: Queue): void {
  const now = draft.ctx.now;
  const customer = draft.user(entry.customer);
  const agentUser = draft.user(agentId);
  if (!customer || !agentUser) return;
  const requested: CallRecord = {
    callId: draft.ctx.newCallId(),
    caller: entry.customer,
    callee: agentId,
    phase: 'dialing',
    flags: entry.flags,
    param: entry.param,
    userStr: entry.userStr,
    roomId: 0,
    requestedAt: now,
    ringDeadline: now + queue.offerTimeout * 1000,
    answeredAt: 0,
    startedAt: 0,
    entryId: entry.entryId,
    queue: entry.queue,
    callerDevice: customerDevice(customer, entry),
  };
  const call = draft.advance(requested, 'ringing');
  draft.putUser({ ...customer, callId: call.callId });
  changeAgent(draft, { ...agentUser, callId: call.callId }, { status: 'offered', reason: undefined });
  const offered: EntryRecord = {
    ...entry,
    state: 'offered',
    callId: call.callId,
    agent: agentId,
    tried: [...entry.tried, agentId],
    offers: [...entry.offers, { agent: agentId, at: now, callId: call.callId }],
    version: entry.version + 1,
  };
  draft.putEntry(offered);
  draft.deliverEntry(offered);
  draft.deliver(call, agentId, VideoCallEvent.REQUEST, 0, { flags: call.flags, param: call.param, userStr: call.userStr });
  draft.setTimer(ringTimerKey(call.callId), call.ringDeadline, { kind: 'ring-expired', callId: call.callId });
  draft.decision.transitions.push({ type: 'requested', call: requested, at: now, step: requestStepOf(call) });
  draft.decision.transitions.push({
    type: 'ringing',
    call,
    at: now,
    step: stepOf(VideoCallEvent.REPLY, agentId, entry.customer, 0, echoOf(call)),
  });
  draft.decision.queueTransitions.push({ type: 'offered', entry: offered, at: now, agent: agentId, callId: call.callId });
}

/** Manual mode: the agent takes `entry` at once; no ringing, both get START. */
export function takeEntry(draft: DecisionDraft, user: UserRecord, entry: EntryRecord, agentDevice: string): CallRecord | undefined {
  const now = draft.ctx.now;
  const customer = draft.user(entry.customer);
  if (!customer) return undefined;
  const call: CallRecord = {
    callId: draft.ctx.newCallId(),
    caller: entry.customer,
    callee: user.userId,
    phase: 'talking',
    flags: entry.flags,
    param: entry.param,
    userStr: entry.userStr,
    roomId: draft.ctx.newRoomId(),
    requestedAt: now,
    ringDeadline: now,
    answeredAt: now,
    startedAt: now,
    entryId: entry.entryId,
    queue: entry.queue,
    callerDevice: customerDevice(customer, entry),
    calleeDevice: agentDevice,
  };
  draft.putCall(call);
  draft.putUser({ ...customer, callId: call.callId });
  changeAgent(draft, { ...user, callId: call.callId }, { status: 'talking', reason: undefined });
  const taken: EntryRecord = {
    ...entry,
    state: 'connected',
    callId: call.callId,
    agent: user.userId,
    answeredAt: now,
    tried: [...entry.tried, user.userId],
    offers: [...entry.offers, { agent: user.userId, at: now, callId: call.callId, result: 'accepted' }],
    version: entry.version + 1,
  };
  draft.putEntry(taken);
  draft.clearTimer(waitTimerKey(entry.entryId));
  draft.deliverEntry(taken);
  const payload = { flags: call.flags, param: call.roomId, userStr: '' };
  draft.deliver(call, call.caller, VideoCallEvent.START, 0, payload);
  // The agent never rang: its START carries what the customer asked with.
  draft.deliver(call, call.callee, VideoCallEvent.START, 0, { ...payload, userStr: entry.userStr });
  draft.decision.transitions.push({ type: 'requested', call: { ...call, phase: 'dialing', roomId: 0 }, at: now, step: requestStepOf(call) });
  draft.decision.transitions.push({ type: 'started', call, at: now, step: stepOf(VideoCallEvent.START, call.caller, call.callee, 0, payload) });
  draft.decision.queueTransitions.push({ type: 'offered', entry: taken, at: now, agent: user.userId, callId: call.callId });
  draft.decision.queueTransitions.push({ type: 'answered', entry: taken, at: now, agent: user.userId, callId: call.callId });
  return call;
}
