import { ErrorCode, VideoCallEvent, grantAllows } from '@callgate/protocol';
import { DecisionDraft, echoOf, emptyPayload, participantOf, requestStepOf, ringTimerKey, stepOf, type Payload } from './draft.js';
import * as queues from '../queues/rules.js';
import { connect, disconnect, graceExpired, leaving, moveHere } from './connections.js';
import { deviceBySession } from './devices.js';
import { ringOrWait, wakeExpired } from './ringing.js';
import type {
  AuthorizedInput,
  CallInput,
  CallOutcome,
  CallRecord,
  CallStep,
  ControlInput,
  Decision,
  DecisionContext,
  ForceFinishInput,
  RingExpiredInput,
  Snapshot,
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
    case 'leaving':
      return { users: [input.userId], calls: [] };
    case 'move-here':
      return { users: [input.from], calls: [] };
    case 'ring-expired':
    case 'authorized':
    case 'wake-expired':
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
    case 'leaving':
      leaving(draft, input);
      break;
    case 'move-here':
      once(draft, input, () => moveHere(draft, input));
      break;
    case 'wake-expired':
      wakeExpired(draft, input);
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
  const device = deviceBySession(sender, input.sessionId);
  if (!sender || !device) {
    draft.fail(ErrorCode.REPLACED);
    return;
  }
  const id = input.id;
  const seen = id === undefined ? undefined : device.recentControls?.find(([known]) => known === id);
  if (seen) {
    draft.result(seen[1] === 0 ? { ok: true } : { ok: false, code: seen[1] });
    if (seen[1] === 0 && sender.entryId !== undefined) draft.decision.ack = { entryId: sender.entryId };
    return;
  }
  apply();
  const after = draft.user(input.from);
  const afterDevice = deviceBySession(after, input.sessionId);
  if (id === undefined || !after || !afterDevice) return;
  const result = draft.decision.result;
  const remembered: [string, number][] = [...(afterDevice.recentControls ?? []), [id, result.ok ? 0 : result.code]];
  const devices = after.devices.map((d) => (d === afterDevice ? { ...d, recentControls: remembered.slice(-REMEMBERED_CONTROLS) } : d));
  draft.putUser({ ...after, devices });
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
  const device = deviceBySession(draft.user(caller), input.sessionId)?.deviceId ?? '';
  const callerCall = draft.callOf(caller);
  if (callerCall?.phase === 'ringing' && callerCall.caller === callee && callerCall.callee === caller) {
    start(draft, callerCall, input.userStr, device); // rule 6, glare: calling back is saying yes
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
    callerDevice: device,
  };
  const refusal = input.draining
    ? { code: ErrorCode.SHUTTING_DOWN, outcome: 'shutting-down' as const }
    : refusalOf(draft, caller, callee, input.push === true);
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
    // A callee with no device at all, whom a push hook may wake, is held by a record without devices.
    draft.putUser(user ? { ...user, callId: call.callId } : { userId: party, devices: [], callId: call.callId });
  }
  draft.decision.transitions.push({
    type: 'requested',
    call,
    at: draft.ctx.now,
    step: requestStepOf(call),
  });
  draft.tellElsewhere(call, caller, 'dialing');
  if (input.authorize) {
    // The ring timeout also bounds the business server's decision.
    draft.setTimer(ringTimerKey(call.callId), call.ringDeadline, { kind: 'ring-expired', callId: call.callId });
    draft.decision.authorize.push({ call, push: input.push === true });
  } else {
    ringOrWait(draft, call, input.push === true);
  }
}

function refusalOf(
  draft: DecisionDraft,
  caller: string,
  callee: string,
  push: boolean,
): { code: number; outcome: CallOutcome } | undefined {
  if (caller === callee) return { code: ErrorCode.SELF_CALL, outcome: 'invalid' };
  // A customer waiting in a queue is in the middle of a call of its own.
  if (draft.callOf(caller) || draft.user(caller)?.entryId !== undefined) return { code: ErrorCode.INCHAT, outcome: 'caller-busy' };
  const target = draft.user(callee);
  const canCall = draft.user(caller)?.canCall;
  // Nobody to ring and nothing to wake it with; a grant is checked against who the callee is.
  if (!target && (!push || !grantAllows(canCall, { userId: callee }))) return { code: ErrorCode.OFFLINE, outcome: 'offline' };
  if (target && !grantAllows(canCall, target)) return { code: ErrorCode.FORBIDDEN, outcome: 'forbidden' };
  if (target && (target.callId !== null || target.entryId !== undefined)) return { code: ErrorCode.BUSY, outcome: 'busy' };
  return undefined;
}

// ---- rule 2: REPLY, and START ----

function reply(draft: DecisionDraft, input: ControlInput): void {
  const call = draft.callOf(input.from);
  const code = input.errorCode;
  if (call?.phase === 'ringing' && call.callee === input.from && call.caller === input.userId) {
    const device = deviceBySession(draft.user(input.from), input.sessionId)?.deviceId ?? '';
    if (code === 0) {
      start(draft, call, input.userStr, device);
    } else {
      draft.deliver(call, call.caller, VideoCallEvent.REPLY, code, payloadOf(input));
      // A refusal from one device refuses for all: the others stop ringing.
      draft.deliver(call, call.callee, VideoCallEvent.FINISH, code, payloadOf(input), { except: device });
      refuse(draft, call, stepOf(VideoCallEvent.REPLY, call.callee, call.caller, code, payloadOf(input)));
    }
    return;
  }
  const cancels = code === ErrorCode.CANCEL && call && call.phase !== 'talking';
  if (cancels && call.caller === input.from && call.callee === input.userId && takesPart(draft, call, input)) {
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

/** Whether the control's device takes part in the sender's call (while the callee's devices ring, each of them does). */
function takesPart(draft: DecisionDraft, call: CallRecord, input: ControlInput): boolean {
  const device = deviceBySession(draft.user(input.from), input.sessionId)?.deviceId;
  const participant = participantOf(call, input.from);
  return participant === undefined || participant === device;
}

/** The callee answered on `calleeDevice`: START to it and the caller's device; the callee's other devices stop ringing. */
function start(draft: DecisionDraft, ringing: CallRecord, acceptedUserStr: string, calleeDevice: string): void {
  const now = draft.ctx.now;
  const call = draft.advance(ringing, 'talking', { roomId: draft.ctx.newRoomId(), answeredAt: now, startedAt: now, calleeDevice });
  const payload = { flags: call.flags, param: call.roomId, userStr: acceptedUserStr };
  draft.deliver(call, call.caller, VideoCallEvent.START, 0, payload);
  draft.deliver(call, call.callee, VideoCallEvent.START, 0, payload);
  draft.deliver(call, call.callee, VideoCallEvent.FINISH, ErrorCode.ANSWERED_ELSEWHERE, emptyPayload, { except: calleeDevice });
  draft.tellElsewhere(call, call.caller, 'talking');
  draft.tellElsewhere(call, call.callee, 'talking');
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
  if (!call || !involvesPeer || (call.phase === 'dialing' && call.callee === input.from) || !takesPart(draft, call, input)) {
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
  // A call that waits for its callee's device was authorized already: a late or second answer changes nothing.
  if (call?.phase !== 'dialing' || call.waking) return;
  if (input.code === 0) {
    ringOrWait(draft, call, input.push === true);
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
