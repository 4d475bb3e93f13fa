import { ErrorCode, VideoCallEvent, grantAllows } from '@callgate/protocol';
import { DecisionDraft, emptyPayload, graceTimerKey, ringTimerKey, type Payload } from './draft.js';
import type {
  AuthorizedInput,
  CallInput,
  CallOutcome,
  CallRecord,
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
      return { users: [input.from, input.peer], calls: [] };
    case 'connect':
    case 'disconnect':
    case 'grace-expired':
    case 'force-finish':
      return { users: [input.userId], calls: [] };
    case 'ring-expired':
    case 'authorized':
      return { users: [], calls: [input.callId] };
  }
}

/** The call state machine (DESIGN §4): one input, the state it reads, and everything that follows. */
export function decide(snapshot: Snapshot, input: CallInput, ctx: DecisionContext): Decision {
  const draft = new DecisionDraft(snapshot, ctx);
  switch (input.kind) {
    case 'control':
      control(draft, input);
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
  }
  return draft.decision;
}

function payloadOf(input: ControlInput): Payload {
  return { flags: input.flags, param: input.param, userStr: input.userStr };
}

/** How many control ids a session remembers for de-duplication. */
export const REMEMBERED_CONTROLS = 32;

function control(draft: DecisionDraft, input: ControlInput): void {
  const sender = draft.user(input.from);
  if (!sender || sender.sessionId !== input.sessionId) {
    draft.fail(ErrorCode.REPLACED);
    return;
  }
  const id = input.controlId;
  const seen = id === undefined ? undefined : sender.recentControls?.find(([known]) => known === id);
  if (seen) {
    draft.result(seen[1] === 0 ? { ok: true } : { ok: false, code: seen[1] });
    return;
  }
  applyControl(draft, input);
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
  const { from: caller, peer: callee } = input;
  const callerCall = draft.callOf(caller);
  if (callerCall?.phase === 'ringing' && callerCall.caller === callee && callerCall.callee === caller) {
    start(draft, callerCall, input.userStr); // rule 6, glare: calling back is saying yes
    return;
  }
  const call: CallRecord = {
    callId: draft.ctx.newCallId(),
    caller,
    callee,
    phase: 'authorizing',
    flags: input.flags,
    param: input.param,
    userStr: input.userStr,
    roomId: 0,
    requestedAt: draft.ctx.now,
    ringDeadline: draft.ctx.now + draft.ctx.ringTimeoutMs,
    answeredAt: 0,
  };
  const refusal = input.draining
    ? { code: ErrorCode.SHUTTING_DOWN, outcome: 'shutting-down' as const }
    : refusalOf(draft, caller, callee);
  if (refusal) {
    draft.deliver(call, caller, VideoCallEvent.REPLY, refusal.code, { flags: call.flags, param: call.param, userStr: '' });
    draft.decision.transitions.push({
      type: 'ended',
      call,
      at: draft.ctx.now,
      outcome: refusal.outcome,
      errorCode: refusal.code,
      endedBy: 'server',
      from: 'requested',
      detail: emptyPayload,
    });
    return;
  }
  draft.putCall(call);
  for (const party of [caller, callee]) {
    const user = draft.user(party);
    if (user) draft.putUser({ ...user, callId: call.callId });
  }
  draft.decision.transitions.push({ type: 'requested', call, at: draft.ctx.now });
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
  if (draft.callOf(caller)) return { code: ErrorCode.INCHAT, outcome: 'caller-busy' };
  const target = draft.user(callee);
  if (!target) return { code: ErrorCode.OFFLINE, outcome: 'offline' };
  if (!grantAllows(draft.user(caller)?.canCall, target)) return { code: ErrorCode.FORBIDDEN, outcome: 'forbidden' };
  if (target.callId !== null) return { code: ErrorCode.BUSY, outcome: 'busy' };
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
  draft.deliver(call, call.caller, VideoCallEvent.REPLY, 0, { flags: call.flags, param: call.param, userStr: '' });
  draft.setTimer(ringTimerKey(call.callId), ringDeadline, { kind: 'ring-expired', callId: call.callId });
  draft.decision.transitions.push({ type: 'ringing', call, at: draft.ctx.now });
}

// ---- rule 2: REPLY, and START ----

function reply(draft: DecisionDraft, input: ControlInput): void {
  const call = draft.callOf(input.from);
  const code = input.errorCode;
  if (call?.phase === 'ringing' && call.callee === input.from && call.caller === input.peer) {
    if (code === 0) {
      start(draft, call, input.userStr);
    } else {
      draft.deliver(call, call.caller, VideoCallEvent.REPLY, code, payloadOf(input));
      draft.end(call, { outcome: 'refused', errorCode: code, endedBy: input.from, detail: payloadOf(input) });
    }
    return;
  }
  const cancels = code === ErrorCode.CANCEL && call && call.phase !== 'talking';
  if (cancels && call.caller === input.from && call.callee === input.peer) {
    cancel(draft, call, input.from, payloadOf(input));
    return;
  }
  draft.fail(ErrorCode.NOTINCALL);
}

function start(draft: DecisionDraft, ringing: CallRecord, acceptedUserStr: string): void {
  const call = draft.advance(ringing, 'talking', { roomId: draft.ctx.newRoomId(), answeredAt: draft.ctx.now });
  const payload = { flags: call.flags, param: call.roomId, userStr: acceptedUserStr };
  draft.deliver(call, call.caller, VideoCallEvent.START, 0, payload);
  draft.deliver(call, call.callee, VideoCallEvent.START, 0, payload);
  draft.clearTimer(ringTimerKey(call.callId));
  draft.decision.transitions.push({ type: 'started', call, at: draft.ctx.now, acceptedWith: { userStr: acceptedUserStr } });
}

// ---- rule 3: FINISH and cancel ----

function finish(draft: DecisionDraft, input: ControlInput): void {
  const call = draft.callOf(input.from);
  const involvesPeer =
    call !== undefined &&
    ((call.caller === input.from && call.callee === input.peer) ||
      (call.callee === input.from && call.caller === input.peer));
  if (!call || !involvesPeer || (call.phase === 'authorizing' && call.callee === input.from)) {
    draft.fail(ErrorCode.NOTINCALL);
    return;
  }
  if (call.phase !== 'talking' && call.caller === input.from) {
    cancel(draft, call, input.from, payloadOf(input));
    return;
  }
  draft.finishBoth(call, input.errorCode, payloadOf(input));
  const outcome = call.phase === 'talking' ? 'completed' : 'refused';
  draft.end(call, { outcome, errorCode: input.errorCode, endedBy: input.from, detail: payloadOf(input) });
}

/** The caller gives up before the answer: FINISH 100101 to both, carrying what the caller sent. */
function cancel(draft: DecisionDraft, call: CallRecord, by: string, payload: Payload): void {
  draft.finishBoth(call, ErrorCode.CANCEL, payload);
  draft.end(call, { outcome: 'cancelled', errorCode: ErrorCode.CANCEL, endedBy: by, detail: payload });
}

// ---- rule 4: ringing timeout; business decisions ----

function ringExpired(draft: DecisionDraft, input: RingExpiredInput): void {
  const call = draft.call(input.callId);
  if (!call || call.phase === 'talking' || draft.ctx.now < call.ringDeadline) return;
  draft.deliver(call, call.caller, VideoCallEvent.REPLY, ErrorCode.TIMEOUT, { flags: call.flags, param: call.param, userStr: '' });
  if (call.phase === 'ringing') draft.deliver(call, call.callee, VideoCallEvent.FINISH, ErrorCode.TIMEOUT, emptyPayload);
  draft.end(call, { outcome: 'timeout', errorCode: ErrorCode.TIMEOUT, endedBy: 'server' });
}

function authorized(draft: DecisionDraft, input: AuthorizedInput): void {
  const call = draft.call(input.callId);
  if (call?.phase !== 'authorizing') return;
  if (input.code === 0) {
    ring(draft, call);
    return;
  }
  draft.deliver(call, call.caller, VideoCallEvent.REPLY, input.code, { flags: call.flags, param: call.param, userStr: '' });
  draft.end(call, { outcome: 'vetoed', errorCode: input.code, endedBy: 'business' });
}

function forceFinish(draft: DecisionDraft, input: ForceFinishInput): void {
  const call = draft.callOf(input.userId);
  if (!call) {
    draft.fail(ErrorCode.NOTINCALL);
    return;
  }
  const payload = { flags: input.flags ?? 0, param: input.param ?? 0, userStr: input.userStr };
  draft.finishBoth(call, input.errorCode, payload);
  draft.end(call, { outcome: 'force-ended', errorCode: input.errorCode, endedBy: input.by, detail: payload });
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
    draft.putUser({ ...existing, ...attach });
    draft.decision.session = { sessionId: existing.sessionId, resumed: true };
    return;
  }
  if (existing) leave(draft, existing);
  draft.putUser({ userId: input.userId, sessionId: input.newSessionId, callId: null, ...attach });
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

/** The user is gone for good: its call ends as DESIGN §4 rule 5 says, and it goes offline. */
function leave(draft: DecisionDraft, user: UserRecord): void {
  const call = draft.call(user.callId);
  draft.removeUser(user.userId);
  draft.clearTimer(graceTimerKey(user.userId));
  if (!call) return;
  const code = ErrorCode.DISCONNECT;
  if (call.phase === 'talking') {
    draft.finishBoth(call, code, emptyPayload);
  } else if (user.userId === call.callee) {
    draft.deliver(call, call.caller, VideoCallEvent.REPLY, code, { flags: call.flags, param: call.param, userStr: '' });
  } else if (call.phase === 'ringing') {
    draft.deliver(call, call.callee, VideoCallEvent.FINISH, code, emptyPayload);
  }
  draft.end(call, { outcome: 'disconnected', errorCode: code, endedBy: user.userId });
}
