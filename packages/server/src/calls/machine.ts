import { ErrorCode, VideoCallEvent, grantAllows } from '@callgate/protocol';
import { DecisionDraft, echoOf, emptyPayload, graceTimerKey, requestStepOf, ringTimerKey, stepOf, type Payload } from './draft.js';
import { newAgent, resumedAgent } from '../queues/agents.js';
import * as queues from '../queues/rules.js';
import type {
  AuthorizedInput,
  CallInput,
  CallOutcome,
  CallRecord,
  CallStep,
  ConnectInput,
  ControlInput,
  Decision,
  DecisionContext,
  DisconnectInput,
  ForceFinishInput,
  GraceExpiredInput,
  RingExpiredInput,
  Snapshot,
  UserRecord,
} from './types.js';

/**
 * The users and calls an input names. A backend loads these, then the calls those users are in,
 * then the parties of those calls, and hands the result to `decide` as its snapshot.
 */
export function readSet(input: CallInput): { users: string[]; calls: string[] } {
  switch (input.kind) {
    case 'control':
      return { users: [input.from, input.userId], calls: [] };
    case 'connect':
    case 'disconnect':
    case 'grace-expired':
    case 'force-finish':
      return { users: [input.userId], calls: [] };
    case 'ring-expired':
    case 'authorized':
      return { users: [], calls: [input.callId] };
    case 'enter-queue':
    case 'leave-queue':
    case 'agent-status':
    case 'next-customer':
    case 'end-wrap-up':
      return { users: [input.from], calls: [] };
    case 'transfer':
      return { users: input.agent ? [input.from, input.agent] : [input.from], calls: [] };
    case 'wrap-up-expired':
      return { users: [input.userId], calls: [] };
    case 'wait-expired':
    case 'queue-closed':
    case 'route-queue':
      return { users: [], calls: [] };
  }
}

/** The call state machine (docs/architecture.md, "The rules of a call"): one input, the state it reads, and everything that follows. */
export function decide(snapshot: Snapshot, input: CallInput, ctx: DecisionContext): Decision {
  const draft = new DecisionDraft(snapshot, ctx, queues.callEnded);
  switch (input.kind) {
    case 'control':
      once(draft, input, () => applyControl(draft, input));
      break;
    case 'connect':
      connect(draft, input);
      break;
    case 'disconnect':
      disconnect(draft, input);
      break;
    case 'grace-expired':
      graceExpired(draft, input);
      break;
    case 'ring-expired':
      ringExpired(draft, input);
      break;
    case 'authorized':
      authorized(draft, input);
      break;
    case 'force-finish':
      forceFinish(draft, input);
      break;
    case 'enter-queue':
      once(draft, input, () => queues.enterQueue(draft, input));
      break;
    case 'leave-queue':
      once(draft, input, () => queues.leaveQueue(draft, input));
      break;
    case 'agent-status':
      once(draft, input, () => queues.setAgentStatus(draft, input));
      break;
    case 'next-customer':
      once(draft, input, () => queues.nextCustomer(draft, input));
      break;
    case 'end-wrap-up':
      once(draft, input, () => queues.endWrapUp(draft, input));
      break;
    case 'transfer':
      once(draft, input, () => queues.transfer(draft, input));
      break;
    case 'wait-expired':
      queues.waitExpired(draft, input);
      break;
    case 'wrap-up-expired':
      queues.wrapUpExpired(draft, input);
      break;
    case 'queue-closed':
      queues.queueClosed(draft, input);
      break;
    case 'route-queue':
      queues.routeQueue(draft, input.queue);
      break;
  }
  return draft.decision;
}

function payloadOf(input: ControlInput): Payload {
  return { flags: input.flags, param: input.param, userStr: input.userStr };
}

/** How many control ids a session remembers for de-duplication. */
export const REMEMBERED_CONTROLS = 32;

/**
 * Applies a user's message once: a message whose id this session has seen gets its first answer
 * again and changes nothing; otherwise `apply` runs and the id is remembered with its answer.
 */
function once(draft: DecisionDraft, input: { from: string; sessionId: string; id?: string }, apply: () => void): void {
  const sender = draft.user(input.from);
  if (!sender || sender.sessionId !== input.sessionId) {
    draft.fail(ErrorCode.REPLACED);
    return;
  }
  const id = input.id;
  const seen = id === undefined ? undefined : sender.recentControls?.find(([known]) => known === id);
  if (seen) {
    draft.result(seen[1] === 0 ? { ok: true } : { ok: false, code: seen[1] });
    if (seen[1] === 0 && sender.entryId !== undefined) draft.decision.ack = { entryId: sender.entryId };
    return;
  }
  apply();
  const after = draft.user(input.from);
  if (id === undefined || !after) return;
  const result = draft.decision.result;
  const remembered: [string, number][] = [...(after.recentControls ?? []), [id, result.ok ? 0 : result.code]];
  draft.putUser({ ...after, recentControls: remembered.slice(-REMEMBERED_CONTROLS) });
}

function applyControl(draft: DecisionDraft, input: ControlInput): void {
  switch (input.event) {
    case VideoCallEvent.REQUEST:
      request(draft, input);
      return;
    case VideoCallEvent.REPLY:
      reply(draft, input);
      return;
    case VideoCallEvent.FINISH:
      finish(draft, input);
      return;
    default:
      draft.fail(ErrorCode.INVALID_EVENT);
  }
}

// ---- rule 1: REQUEST ----

function request(draft: DecisionDraft, input: ControlInput): void {
  const { from: caller, userId: callee } = input;
  const callerCall = draft.callOf(caller);
  if (callerCall?.phase === 'ringing' && callerCall.caller === callee && callerCall.callee === caller) {
    start(draft, callerCall, input.userStr); // rule 6, glare: calling back is saying yes
    return;
  }
  const call: CallRecord = {
    callId: draft.ctx.newCallId(),
    caller,
    callee,
    phase: 'dialing',
    flags: input.flags,
    param: input.param,
    userStr: input.userStr,
    roomId: 0,
    requestedAt: draft.ctx.now,
    ringDeadline: draft.ctx.now + draft.ctx.ringTimeoutMs,
    answeredAt: 0,
    startedAt: 0,
  };
  const refusal = input.draining
    ? { code: ErrorCode.SHUTTING_DOWN, outcome: 'shutting-down' as const }
    : refusalOf(draft, caller, callee);
  if (refusal) {
    draft.deliver(call, caller, VideoCallEvent.REPLY, refusal.code, echoOf(call));
    draft.decision.transitions.push({
      type: 'ended',
      call,
      at: draft.ctx.now,
      step: stepOf(VideoCallEvent.REPLY, callee, caller, refusal.code, echoOf(call)),
      outcome: refusal.outcome,
      endedBy: 'server',
      endedIn: 'requested',
    });
    return;
  }
  draft.putCall(call);
  for (const party of [caller, callee]) {
    const user = draft.user(party);
    if (user) draft.putUser({ ...user, callId: call.callId });
  }
  draft.decision.transitions.push({
    type: 'requested',
    call,
    at: draft.ctx.now,
    step: requestStepOf(call),
  });
  if (input.authorize) {
    // The ring timeout also bounds the business server's decision.
    draft.setTimer(ringTimerKey(call.callId), call.ringDeadline, { kind: 'ring-expired', callId: call.callId });
    draft.decision.authorize.push({ call });
  } else {
    ring(draft, call);
  }
}

function refusalOf(
  draft: DecisionDraft,
  caller: string,
  callee: string,
): { code: number; outcome: CallOutcome } | undefined {
  if (caller === callee) return { code: ErrorCode.SELF_CALL, outcome: 'invalid' };
  // A customer waiting in a queue is in the middle of a call of its own.
  if (draft.callOf(caller) || draft.user(caller)?.entryId !== undefined) return { code: ErrorCode.INCHAT, outcome: 'caller-busy' };
  const target = draft.user(callee);
  if (!target) return { code: ErrorCode.OFFLINE, outcome: 'offline' };
  if (!grantAllows(draft.user(caller)?.canCall, target)) return { code: ErrorCode.FORBIDDEN, outcome: 'forbidden' };
  if (target.callId !== null || target.entryId !== undefined) return { code: ErrorCode.BUSY, outcome: 'busy' };
  return undefined;
}

/** The callee gets the REQUEST, the caller the ringing ack (REPLY 0). */
function ring(draft: DecisionDraft, authorized: CallRecord): void {
  const ringDeadline = draft.ctx.now + draft.ctx.ringTimeoutMs;
  const call = draft.advance(authorized, 'ringing', { ringDeadline });
  draft.deliver(call, call.callee, VideoCallEvent.REQUEST, 0, {
    flags: call.flags,
    param: call.param,
    userStr: call.userStr,
  });
  draft.deliver(call, call.caller, VideoCallEvent.REPLY, 0, echoOf(call));
  draft.setTimer(ringTimerKey(call.callId), ringDeadline, { kind: 'ring-expired', callId: call.callId });
  draft.decision.transitions.push({
    type: 'ringing',
    call,
    at: draft.ctx.now,
    step: stepOf(VideoCallEvent.REPLY, call.callee, call.caller, 0, echoOf(call)),
  });
}

// ---- rule 2: REPLY, and START ----

function reply(draft: DecisionDraft, input: ControlInput): void {
  const call = draft.callOf(input.from);
  const code = input.errorCode;
  if (call?.phase === 'ringing' && call.callee === input.from && call.caller === input.userId) {
    if (code === 0) {
      start(draft, call, input.userStr);
    } else {
      draft.deliver(call, call.caller, VideoCallEvent.REPLY, code, payloadOf(input));
      refuse(draft, call, stepOf(VideoCallEvent.REPLY, call.callee, call.caller, code, payloadOf(input)));
    }
    return;
  }
  const cancels = code === ErrorCode.CANCEL && call && call.phase !== 'talking';
  if (cancels && call.caller === input.from && call.callee === input.userId) {
    cancel(draft, call, input.from, payloadOf(input));
    return;
  }
  draft.fail(ErrorCode.NOTINCALL);
}

/** The callee said no: that is its answer, and the end of the call. */
function refuse(draft: DecisionDraft, call: CallRecord, step: CallStep): void {
  const answered = draft.advance(call, call.phase, { answeredAt: draft.ctx.now });
  draft.end(answered, { outcome: 'refused', endedBy: call.callee, step });
}

function start(draft: DecisionDraft, ringing: CallRecord, acceptedUserStr: string): void {
  const now = draft.ctx.now;
  const call = draft.advance(ringing, 'talking', { roomId: draft.ctx.newRoomId(), answeredAt: now, startedAt: now });
  const payload = { flags: call.flags, param: call.roomId, userStr: acceptedUserStr };
  draft.deliver(call, call.caller, VideoCallEvent.START, 0, payload);
  draft.deliver(call, call.callee, VideoCallEvent.START, 0, payload);
  draft.clearTimer(ringTimerKey(call.callId));
  draft.decision.transitions.push({
    type: 'started',
    call,
    at: now,
    step: stepOf(VideoCallEvent.START, call.caller, call.callee, 0, payload),
  });
  if (call.entryId !== undefined) queues.queueCallStarted(draft, call);
}

// ---- rule 3: FINISH and cancel ----

function finish(draft: DecisionDraft, input: ControlInput): void {
  const call = draft.callOf(input.from);
  const involvesPeer =
    call !== undefined &&
    ((call.caller === input.from && call.callee === input.userId) ||
      (call.callee === input.from && call.caller === input.userId));
  if (!call || !involvesPeer || (call.phase === 'dialing' && call.callee === input.from)) {
    draft.fail(ErrorCode.NOTINCALL);
    return;
  }
  if (call.phase !== 'talking' && call.caller === input.from) {
    cancel(draft, call, input.from, payloadOf(input));
    return;
  }
  draft.finishBoth(call, input.errorCode, payloadOf(input));
  if (call.phase === 'talking') {
    const step = stepOf(VideoCallEvent.FINISH, input.from, input.userId, input.errorCode, payloadOf(input));
    draft.end(call, { outcome: 'completed', endedBy: input.from, step });
    return;
  }
  // The ringing callee hangs up: a refusal. Heard as REPLY with its code, as FINISH when that is 0
  // (a REPLY 0 would read as "ringing").
  const event = input.errorCode === 0 ? VideoCallEvent.FINISH : VideoCallEvent.REPLY;
  refuse(draft, call, stepOf(event, call.callee, call.caller, input.errorCode, payloadOf(input)));
}

/** The caller gives up before the answer: FINISH 100101 to both, carrying what the caller sent. */
function cancel(draft: DecisionDraft, call: CallRecord, by: string, payload: Payload): void {
  draft.finishBoth(call, ErrorCode.CANCEL, payload);
  const step = stepOf(VideoCallEvent.FINISH, call.caller, call.callee, ErrorCode.CANCEL, payload);
  draft.end(call, { outcome: 'cancelled', endedBy: by, step });
}

// ---- rule 4: ringing timeout; business decisions ----

function ringExpired(draft: DecisionDraft, input: RingExpiredInput): void {
  const call = draft.call(input.callId);
  if (!call || call.phase === 'talking' || draft.ctx.now < call.ringDeadline) return;
  draft.deliver(call, call.caller, VideoCallEvent.REPLY, ErrorCode.TIMEOUT, echoOf(call));
  if (call.phase === 'ringing') draft.deliver(call, call.callee, VideoCallEvent.FINISH, ErrorCode.TIMEOUT, emptyPayload);
  const step = stepOf(VideoCallEvent.REPLY, call.callee, call.caller, ErrorCode.TIMEOUT, echoOf(call));
  draft.end(call, { outcome: 'timeout', endedBy: 'server', step });
}

function authorized(draft: DecisionDraft, input: AuthorizedInput): void {
  const call = draft.call(input.callId);
  if (call?.phase !== 'dialing') return;
  if (input.code === 0) {
    ring(draft, call);
    return;
  }
  draft.deliver(call, call.caller, VideoCallEvent.REPLY, input.code, echoOf(call));
  const step = stepOf(VideoCallEvent.REPLY, call.callee, call.caller, input.code, echoOf(call));
  draft.end(call, { outcome: 'vetoed', endedBy: 'business', step });
}

function forceFinish(draft: DecisionDraft, input: ForceFinishInput): void {
  const call = draft.callOf(input.userId);
  if (!call) {
    draft.fail(ErrorCode.NOTINCALL);
    return;
  }
  const payload = { flags: input.flags ?? 0, param: input.param ?? 0, userStr: input.userStr };
  draft.finishBoth(call, input.errorCode, payload);
  const step = stepOf(VideoCallEvent.FINISH, call.caller, call.callee, input.errorCode, payload);
  draft.end(call, { outcome: 'force-ended', endedBy: input.by, step });
}

// ---- rule 5: connections, grace and resume ----

function connect(draft: DecisionDraft, input: ConnectInput): void {
  const existing = draft.user(input.userId);
  const attach = {
    node: input.node,
    connectionId: input.connectionId,
    connected: true,
    graceDeadline: 0,
    ...(input.role !== undefined ? { role: input.role } : {}),
    ...(input.canCall !== undefined ? { canCall: input.canCall } : {}),
    ...(input.priority !== undefined ? { priority: input.priority } : {}),
  };
  if (existing?.connected) {
    draft.decision.kicks.push({
      userId: existing.userId,
      node: existing.node,
      connectionId: existing.connectionId,
      code: ErrorCode.REPLACED,
    });
  }
  draft.clearTimer(graceTimerKey(input.userId));
  if (existing && input.resumeSessionId === existing.sessionId) {
    draft.putUser({ ...existing, ...attach, agent: resumedAgent(existing.agent, input) });
    draft.decision.session = { sessionId: existing.sessionId, resumed: true };
    queues.userBack(draft, input.userId);
    return;
  }
  if (existing) leave(draft, existing);
  const user: UserRecord = { userId: input.userId, sessionId: input.newSessionId, callId: null, ...attach };
  const agent = newAgent(input, draft.ctx.now);
  draft.putUser(agent ? { ...user, agent } : user);
  if (agent) draft.deliverAgent({ ...user, agent });
  draft.decision.session = { sessionId: input.newSessionId, resumed: false };
}

function disconnect(draft: DecisionDraft, input: DisconnectInput): void {
  const user = draft.user(input.userId);
  if (!user || user.sessionId !== input.sessionId || user.connectionId !== input.connectionId || !user.connected) return;
  if (input.final || draft.ctx.graceMs <= 0) {
    leave(draft, user);
    return;
  }
  const graceDeadline = draft.ctx.now + draft.ctx.graceMs;
  draft.putUser({ ...user, connected: false, graceDeadline });
  draft.setTimer(graceTimerKey(user.userId), graceDeadline, {
    kind: 'grace-expired',
    userId: user.userId,
    sessionId: user.sessionId,
  });
}

function graceExpired(draft: DecisionDraft, input: GraceExpiredInput): void {
  const user = draft.user(input.userId);
  if (!user || user.sessionId !== input.sessionId || user.connected || draft.ctx.now < user.graceDeadline) return;
  leave(draft, user);
}

/** The user is gone for good: its call ends as rule 5 says, and it goes offline. */
function leave(draft: DecisionDraft, user: UserRecord): void {
  const call = draft.call(user.callId);
  draft.removeUser(user.userId);
  draft.clearTimer(graceTimerKey(user.userId));
  if (call) endCallOfLeaver(draft, user, call);
  queues.userLeft(draft, user);
}

function endCallOfLeaver(draft: DecisionDraft, user: UserRecord, call: CallRecord): void {
  const code = ErrorCode.DISCONNECT;
  const other = user.userId === call.caller ? call.callee : call.caller;
  let step: CallStep;
  if (call.phase === 'talking') {
    draft.finishBoth(call, code, emptyPayload);
    step = stepOf(VideoCallEvent.FINISH, user.userId, other, code, emptyPayload);
  } else if (user.userId === call.callee) {
    draft.deliver(call, call.caller, VideoCallEvent.REPLY, code, echoOf(call));
    step = stepOf(VideoCallEvent.REPLY, call.callee, call.caller, code, echoOf(call));
  } else {
    if (call.phase === 'ringing') draft.deliver(call, call.callee, VideoCallEvent.FINISH, code, emptyPayload);
    step = stepOf(VideoCallEvent.FINISH, call.caller, call.callee, code, emptyPayload);
  }
  draft.end(call, { outcome: 'disconnected', endedBy: user.userId, step });
}
