import { ErrorCode, VideoCallEvent, type EntryOutcome } from '@callgate/protocol';
import { emptyPayload, ringTimerKey, stepOf, type DecisionDraft, type Ending } from '../calls/draft.js';
import { DEFAULT_DEVICE, type CallRecord, type UserRecord } from '../calls/types.js';
import { deviceBySession } from '../calls/devices.js';
import { changeAgent, closeWrapUp, settleAgent, wrapUpTimerKey } from './agents.js';
import { bestFor, canTake, offer, routeAgent, routeEntry, routeQueue, takeEntry, waitTimerKey } from './routing.js';
import type {
  AgentStatusInput,
  EndWrapUpInput,
  EnterQueueInput,
  EntryRecord,
  LeaveQueueInput,
  NextCustomerInput,
  OfferResult,
  QueueClosedInput,
  TransferInput,
  WaitExpiredInput,
  WrapUpExpiredInput,
} from './types.js';

/**
 * The contact centre's rules (docs/contact-centre.md): pure, over the same DecisionDraft as the
 * call rules, which call back here when a queue call starts or ends.
 */

/** How many entries one `queue-closed` decision ends; the caller repeats it until the line is empty. */
export const CLOSE_CHUNK = 100;

/** The sender of a session input, or the failure that says why not. */
function sessionUser(draft: DecisionDraft, input: { from: string; sessionId: string }): UserRecord | undefined {
  const user = draft.user(input.from);
  if (!user || !deviceBySession(user, input.sessionId)) {
    draft.fail(ErrorCode.REPLACED);
    return undefined;
  }
  return user;
}

function agentUser(draft: DecisionDraft, input: { from: string; sessionId: string }): UserRecord | undefined {
  const user = sessionUser(draft, input);
  if (user && !user.agent) {
    draft.fail(ErrorCode.FORBIDDEN, 'only an agent (a token with role "agent") may do this');
    return undefined;
  }
  return user;
}

/** The entry is over: the customer is free, told how it ended, and the step is noted. */
function endEntry(draft: DecisionDraft, entry: EntryRecord, outcome: EntryOutcome): void {
  draft.removeEntry(entry.entryId);
  draft.clearTimer(waitTimerKey(entry.entryId));
  const customer = draft.user(entry.customer);
  if (customer?.entryId === entry.entryId) draft.putUser({ ...customer, entryId: undefined });
  draft.deliverEntry(entry, outcome);
  draft.decision.queueTransitions.push({ type: 'ended', entry, at: draft.ctx.now, outcome });
}

/** Ends an offer still ringing at its agent, who gets FINISH with `code`; the entry is already dealt with. */
function withdrawOffer(draft: DecisionDraft, call: CallRecord, code: number, endedBy: string): void {
  draft.deliver(call, call.callee, VideoCallEvent.FINISH, code, emptyPayload);
  draft.end(call, { outcome: 'cancelled', endedBy, step: stepOf(VideoCallEvent.FINISH, call.caller, call.callee, code, emptyPayload) });
}

// ---- the customer ----

export function enterQueue(draft: DecisionDraft, input: EnterQueueInput): void {
  const user = sessionUser(draft, input);
  if (!user) return;
  if (input.draining) return draft.fail(ErrorCode.SHUTTING_DOWN);
  const queue = draft.ctx.queue(input.queue);
  if (!queue) return draft.fail(ErrorCode.QUEUE_NOT_FOUND, `no queue ${JSON.stringify(input.queue)}`);
  if (user.entryId !== undefined) return draft.fail(ErrorCode.ALREADY_QUEUED);
  if (user.callId !== null) return draft.fail(ErrorCode.INCHAT, 'you are in a call; hang up before you enter a queue');
  if (draft.queues.lineLength(queue.id) >= queue.maxLength) return draft.fail(ErrorCode.QUEUE_FULL);
  const now = draft.ctx.now;
  const entry: EntryRecord = {
    entryId: draft.ctx.newEntryId(),
    queue: queue.id,
    customer: user.userId,
    device: deviceBySession(user, input.sessionId)?.deviceId ?? DEFAULT_DEVICE,
    priority: input.priority ?? user.priority ?? 0,
    enteredAt: now,
    queuedAt: now,
    state: 'waiting',
    flags: input.flags,
    param: input.param,
    userStr: input.userStr,
    tried: [],
    offers: [],
    transfers: [],
    version: 1,
  };
  draft.putEntry(entry);
  draft.putUser({ ...user, entryId: entry.entryId });
  draft.setTimer(waitTimerKey(entry.entryId), now + queue.maxWait * 1000, { kind: 'wait-expired', entryId: entry.entryId });
  draft.deliverEntry(entry);
  draft.decision.queueTransitions.push({ type: 'entered', entry, at: now });
  draft.decision.ack = { entryId: entry.entryId };
  routeEntry(draft, entry);
}

export function leaveQueue(draft: DecisionDraft, input: LeaveQueueInput): void {
  const user = sessionUser(draft, input);
  if (!user) return;
  const entry = draft.entry(user.entryId);
  if (!entry || entry.state === 'connected') {
    return draft.fail(ErrorCode.NOT_QUEUED, entry ? 'you are in the call already: hang up to leave' : undefined);
  }
  endEntry(draft, entry, 'abandoned');
  const call = draft.call(entry.callId ?? null);
  if (entry.state === 'offered' && call) withdrawOffer(draft, call, ErrorCode.CANCEL, user.userId);
}

export function waitExpired(draft: DecisionDraft, input: WaitExpiredInput): void {
  const entry = draft.entry(input.entryId);
  if (!entry || entry.state === 'connected') return;
  const queue = draft.ctx.queue(entry.queue);
  if (queue && draft.ctx.now < entry.queuedAt + queue.maxWait * 1000) return;
  endEntry(draft, entry, 'timeout');
  const call = draft.call(entry.callId ?? null);
  if (entry.state === 'offered' && call) withdrawOffer(draft, call, ErrorCode.TIMEOUT, 'server');
}

/** The queue is gone (deleted, or the server shuts down): a chunk of its waiting customers ends as closed. */
export function queueClosed(draft: DecisionDraft, input: QueueClosedInput): void {
  for (const id of draft.queues.line(input.queue, 0, CLOSE_CHUNK)) {
    const entry = draft.entry(id);
    if (!entry || entry.state === 'connected') continue;
    endEntry(draft, entry, 'closed');
    const call = draft.call(entry.callId ?? null);
    if (entry.state === 'offered' && call) withdrawOffer(draft, call, ErrorCode.QUEUE_CLOSED, 'server');
  }
}

// ---- the agent ----

export function setAgentStatus(draft: DecisionDraft, input: AgentStatusInput): void {
  let user = agentUser(draft, input);
  if (!user?.agent) return;
  const wanted = { status: input.status, ...(input.reason !== undefined && input.status === 'away' ? { reason: input.reason } : {}) };
  switch (user.agent.status) {
    case 'talking':
      changeAgent(draft, user, { next: wanted });
      return;
    case 'offered': {
      if (wanted.status === 'available') return void changeAgent(draft, user, { next: undefined });
      // Going away while an offer rings declines it: the customer goes to the next agent.
      const call = draft.callOf(user.userId);
      user = changeAgent(draft, user, { status: 'away', reason: wanted.reason, next: undefined });
      if (call) {
        draft.deliver(call, call.callee, VideoCallEvent.FINISH, ErrorCode.REJECT, emptyPayload);
        draft.end(call, { outcome: 'refused', endedBy: user.userId, step: stepOf(VideoCallEvent.REPLY, call.callee, call.caller, ErrorCode.REJECT, emptyPayload) });
      }
      return;
    }
    case 'wrap-up':
      user = closeWrapUp(draft, user);
      break;
    default:
      break;
  }
  user = changeAgent(draft, user, { next: wanted });
  settleAgent(draft, user);
  routeAgent(draft, user.userId);
}

export function endWrapUp(draft: DecisionDraft, input: EndWrapUpInput): void {
  const user = agentUser(draft, input);
  if (!user?.agent) return;
  if (user.agent.status !== 'wrap-up') return draft.fail(ErrorCode.NOT_IN_WRAP_UP);
  const closing = { ...(input.disposition !== undefined ? { disposition: input.disposition } : {}), ...(input.notes !== undefined ? { notes: input.notes } : {}) };
  settleAgent(draft, closeWrapUp(draft, user, closing));
  routeAgent(draft, user.userId);
}

export function wrapUpExpired(draft: DecisionDraft, input: WrapUpExpiredInput): void {
  const user = draft.user(input.userId);
  const wrapUp = user?.agent?.wrapUp;
  if (!user || !wrapUp || wrapUp.callId !== input.callId || draft.ctx.now < wrapUp.until) return;
  settleAgent(draft, closeWrapUp(draft, user));
  routeAgent(draft, user.userId);
}

export function nextCustomer(draft: DecisionDraft, input: NextCustomerInput): void {
  let user = agentUser(draft, input);
  if (!user?.agent) return;
  if (user.callId !== null || user.agent.status === 'offered' || user.agent.status === 'talking') {
    return draft.fail(ErrorCode.INCHAT, 'you are in a call already');
  }
  const best = bestFor(draft, user, ['manual', 'auto']);
  if (!best) {
    draft.decision.ack = { empty: true };
    return;
  }
  if (user.agent.status === 'wrap-up') user = closeWrapUp(draft, user);
  const call = takeEntry(draft, user, best.entry, deviceBySession(user, input.sessionId)?.deviceId ?? DEFAULT_DEVICE);
  if (call) draft.decision.ack = { callId: call.callId };
}

export function transfer(draft: DecisionDraft, input: TransferInput): void {
  const user = agentUser(draft, input);
  if (!user?.agent) return;
  const call = draft.callOf(user.userId);
  const entry = draft.entry(call?.entryId);
  if (!call || !entry || call.phase !== 'talking' || call.callee !== user.userId) {
    return draft.fail(ErrorCode.TRANSFER_REFUSED, 'only the agent of a started queue call may transfer its customer');
  }
  const now = draft.ctx.now;
  const target = draft.ctx.queue(input.queue ?? entry.queue);
  if (!target) return draft.fail(ErrorCode.QUEUE_NOT_FOUND, `no queue ${JSON.stringify(input.queue)}`);
  if (input.queue !== undefined && input.queue !== entry.queue && draft.queues.lineLength(target.id) >= target.maxLength) {
    return draft.fail(ErrorCode.QUEUE_FULL);
  }
  const toAgent = input.agent;
  if (toAgent !== undefined && (toAgent === user.userId || !canTake(draft, toAgent, { ...entry, tried: [] }, target, true))) {
    return draft.fail(ErrorCode.TRANSFER_REFUSED, `${toAgent} is not available`);
  }
  draft.finishBoth(call, ErrorCode.TRANSFERRED, emptyPayload);
  draft.end(call, {
    outcome: 'transferred',
    endedBy: user.userId,
    step: stepOf(VideoCallEvent.FINISH, user.userId, entry.customer, ErrorCode.TRANSFERRED, emptyPayload),
  });
  const moved: EntryRecord = {
    ...entry,
    queue: target.id,
    state: 'waiting',
    queuedAt: input.queue !== undefined ? now : entry.queuedAt,
    // The agent who hands the customer on is not offered it back.
    tried: [user.userId],
    callId: undefined,
    agent: undefined,
    answeredAt: undefined,
    transfers: [...entry.transfers, { at: now, by: user.userId, fromQueue: entry.queue, toQueue: target.id, ...(toAgent ? { toAgent } : {}) }],
    version: entry.version + 1,
  };
  draft.putEntry(moved);
  const transition = { type: 'transferred' as const, entry: moved, at: now, by: user.userId, fromQueue: entry.queue, toQueue: target.id };
  draft.decision.queueTransitions.push(toAgent ? { ...transition, toAgent } : transition);
  draft.setTimer(waitTimerKey(moved.entryId), moved.queuedAt + target.maxWait * 1000, { kind: 'wait-expired', entryId: moved.entryId });
  if (toAgent !== undefined) {
    offer(draft, moved, toAgent, target);
  } else {
    draft.deliverEntry(moved);
    routeEntry(draft, moved);
  }
}

// ---- hooks of the call rules ----

/** A queue call started (the agent answered its offer): the customer is connected, the agent talking. */
export function queueCallStarted(draft: DecisionDraft, call: CallRecord): void {
  const entry = draft.entry(call.entryId);
  if (!entry) return;
  const now = draft.ctx.now;
  const connected: EntryRecord = {
    ...entry,
    state: 'connected',
    answeredAt: now,
    offers: entry.offers.map((o) => (o.callId === call.callId ? { ...o, result: 'accepted' as const } : o)),
    version: entry.version + 1,
  };
  draft.putEntry(connected);
  draft.clearTimer(waitTimerKey(entry.entryId));
  draft.deliverEntry(connected);
  const agent = draft.user(call.callee);
  if (agent) changeAgent(draft, agent, { status: 'talking' });
  draft.decision.queueTransitions.push({ type: 'answered', entry: connected, at: now, agent: call.callee, callId: call.callId });
}

function offerResultOf(call: CallRecord, ending: Ending): Exclude<OfferResult, 'accepted'> {
  switch (ending.outcome) {
    case 'timeout':
      return 'no-answer';
    case 'disconnected':
      return ending.endedBy === call.callee ? 'gone' : 'cancelled';
    case 'cancelled':
      return 'cancelled';
    default:
      return 'refused';
  }
}

/** After a queue call: the agent wraps up (or is free at once when the queue has no wrap-up). */
function afterQueueCall(draft: DecisionDraft, agentId: string, call: CallRecord, entryId: string): void {
  const user = draft.user(agentId);
  if (!user?.agent) return;
  const wrapUpMs = (draft.ctx.queue(call.queue ?? '')?.wrapUp ?? 0) * 1000;
  if (wrapUpMs <= 0) {
    settleAgent(draft, user);
    routeAgent(draft, agentId);
    return;
  }
  const until = draft.ctx.now + wrapUpMs;
  changeAgent(draft, user, { status: 'wrap-up', reason: undefined, wrapUp: { callId: call.callId, entryId, queue: call.queue ?? '', customer: call.caller, until } });
  draft.setTimer(wrapUpTimerKey(agentId), until, { kind: 'wrap-up-expired', userId: agentId, callId: call.callId });
}

/** An agent the offer was for is free again: available after a refusal, away after no answer. */
function afterOffer(draft: DecisionDraft, agentId: string, result: Exclude<OfferResult, 'accepted'>): void {
  const user = draft.user(agentId);
  if (!user?.agent || user.agent.status !== 'offered') return;
  if (result === 'no-answer') changeAgent(draft, user, { status: 'away', reason: 'no-answer', next: undefined });
  else changeAgent(draft, user, { status: 'available', reason: undefined });
}

/** Any call ended: the contact centre's side of it. Registered with the DecisionDraft by the machine. */
export function callEnded(draft: DecisionDraft, call: CallRecord, ending: Ending): void {
  if (call.entryId === undefined) {
    // A direct call: an agent it kept busy may take customers again.
    for (const party of [call.caller, call.callee]) routeAgent(draft, party);
    return;
  }
  const entry = draft.entry(call.entryId);
  if (call.phase === 'talking') {
    if (entry && ending.outcome !== 'transferred') endEntry(draft, { ...entry, version: entry.version + 1 }, 'served');
    afterQueueCall(draft, call.callee, call, call.entryId);
    return;
  }
  const result = offerResultOf(call, ending);
  if (entry?.callId === call.callId) {
    if (result === 'cancelled') {
      endEntry(draft, entry, 'abandoned');
    } else {
      const back: EntryRecord = {
        ...entry,
        state: 'waiting',
        callId: undefined,
        agent: undefined,
        offers: entry.offers.map((o) => (o.callId === call.callId ? { ...o, result } : o)),
        version: entry.version + 1,
      };
      draft.putEntry(back);
      draft.deliverEntry(back);
      draft.decision.queueTransitions.push({ type: 'offer-ended', entry: back, at: draft.ctx.now, agent: call.callee, result });
      afterOffer(draft, call.callee, result);
      routeEntry(draft, back);
      routeAgent(draft, call.callee);
      return;
    }
  }
  afterOffer(draft, call.callee, 'refused');
  routeAgent(draft, call.callee);
}

/** A user is gone for good (its call, if any, was ended already): its entry and its agent side end too. */
export function userLeft(draft: DecisionDraft, user: UserRecord): void {
  const entry = draft.entry(user.entryId);
  if (entry && entry.state !== 'connected') endEntry(draft, entry, 'abandoned');
  if (!user.agent) return;
  const at = draft.ctx.now;
  const wrapUp = user.agent.wrapUp;
  if (wrapUp) {
    draft.clearTimer(wrapUpTimerKey(user.userId));
    draft.decision.queueTransitions.push({ type: 'wrapped-up', at, agent: user.userId, customer: wrapUp.customer, callId: wrapUp.callId, entryId: wrapUp.entryId, queue: wrapUp.queue });
  }
  draft.decision.queueTransitions.push({ type: 'agent-status', at, agent: user.userId, status: 'offline' });
}

/** A user connected or resumed: an available agent or a waiting customer is routed again. */
export function userBack(draft: DecisionDraft, userId: string): void {
  const user = draft.user(userId);
  if (!user) return;
  routeAgent(draft, userId);
  const entry = draft.entry(user.entryId);
  if (entry) routeEntry(draft, entry);
}

export { routeQueue, ringTimerKey };
