import { ErrorCode, VideoCallEvent } from '@callgate/protocol';
import { newAgent, resumedAgent } from '../queues/agents.js';
import * as queues from '../queues/rules.js';
import { echoOf, emptyPayload, graceTimerKey, participantOf, stepOf, type DecisionDraft } from './draft.js';
import { deviceById, deviceBySession, withDevice, withoutDevice } from './devices.js';
import { ring } from './ringing.js';
import { DEFAULT_DEVICE } from './types.js';
import type {
  CallRecord,
  CallStep,
  ConnectInput,
  DeviceRecord,
  DisconnectInput,
  GraceExpiredInput,
  LeavingInput,
  MoveHereInput,
  UserRecord,
} from './types.js';

/**
 * Rule 5 with devices (docs/architecture.md, "Devices"): a user is online while any of its devices
 * is connected or in its grace period; each device has its own session, resumed by that device
 * alone; a device that drops keeps its place for the grace period; the user's call ends (rule 5)
 * only when the device taking part in it is gone for good.
 */

export function connect(draft: DecisionDraft, connectInput: ConnectInput): void {
  const input = { ...connectInput, deviceId: connectInput.deviceId ?? DEFAULT_DEVICE };
  const existing = draft.user(input.userId);
  const device = deviceById(existing, input.deviceId);
  const claims = {
    ...(input.role !== undefined ? { role: input.role } : {}),
    ...(input.canCall !== undefined ? { canCall: input.canCall } : {}),
    ...(input.priority !== undefined ? { priority: input.priority } : {}),
  };
  const attach = (session: Pick<DeviceRecord, 'sessionId' | 'recentControls'>): DeviceRecord => ({
    deviceId: input.deviceId,
    node: input.node,
    connectionId: input.connectionId,
    connected: true,
    leaving: false,
    graceDeadline: 0,
    droppedAt: 0,
    ...session,
  });
  if (existing && device && input.resumeSessionId === device.sessionId) {
    if (device.connected) kick(draft, input.userId, device);
    draft.clearTimer(graceTimerKey(input.userId, device.deviceId));
    const resumed = { ...existing, ...claims, agent: resumedAgent(existing.agent, input) };
    draft.putUser(withDevice(resumed, attach({ sessionId: device.sessionId, ...(device.recentControls ? { recentControls: device.recentControls } : {}) })));
    draft.decision.session = { sessionId: device.sessionId, resumed: true };
    arrived(draft, input.userId, input.deviceId, true);
    queues.userBack(draft, input.userId);
    return;
  }
  let base = existing;
  if (base && device) {
    // The same device signs in afresh: its old session is over.
    if (device.connected) kick(draft, input.userId, device);
    base = deviceGone(draft, base, device);
  } else if (base && base.devices.length >= draft.ctx.maxDevices) {
    if (draft.ctx.maxDevices > 1) {
      draft.decision.session = { refused: ErrorCode.TOO_MANY_DEVICES };
      return;
    }
    // One device at most: the new one replaces the old (a second login replaces the first).
    for (const old of base.devices) {
      if (old.connected) kick(draft, input.userId, old);
      base = base && deviceGone(draft, base, old);
    }
  }
  const fresh = attach({ sessionId: input.newSessionId });
  const user: UserRecord = base
    ? withDevice({ ...base, ...claims, ...(base.agent || input.role !== 'agent' ? {} : { agent: newAgent(input, draft.ctx.now) }) }, fresh)
    : { userId: input.userId, devices: [fresh], callId: null, ...claims, ...(input.role === 'agent' ? { agent: newAgent(input, draft.ctx.now) } : {}) };
  draft.putUser(user);
  if (user.agent) draft.decision.deliveries.push(agentStatusFor(user, input.deviceId));
  draft.decision.session = { sessionId: input.newSessionId, resumed: false };
  arrived(draft, input.userId, input.deviceId, false);
  queues.userBack(draft, input.userId);
}

function agentStatusFor(user: UserRecord, deviceId: string): { to: string; device: string; agent: { status: NonNullable<UserRecord['agent']>['status']; since: number; queues: string[]; reason?: string } } {
  const agent = user.agent!;
  return { to: user.userId, device: deviceId, agent: { status: agent.status, since: agent.since, queues: agent.queues, ...(agent.reason !== undefined ? { reason: agent.reason } : {}) } };
}

/** A device of the user is here (new or back): a call waiting for it rings; a new device rings with the others. */
function arrived(draft: DecisionDraft, userId: string, deviceId: string, resumed: boolean): void {
  const call = draft.callOf(userId);
  if (!call) return;
  if (call.callee === userId && call.phase === 'dialing' && call.waking) {
    ring(draft, call);
  } else if (call.callee === userId && call.phase === 'ringing' && call.calleeDevice === undefined) {
    if (!resumed) draft.deliver(call, userId, VideoCallEvent.REQUEST, 0, { flags: call.flags, param: call.param, userStr: call.userStr }, { device: deviceId });
  } else if (!resumed) {
    // A new device of a user already in a call learns of it as state (it takes no part in it).
    const taking = participantOf(call, userId);
    if (taking !== undefined && taking !== deviceId) {
      const peer = userId === call.caller ? call.callee : call.caller;
      const direction = userId === call.caller ? ('outgoing' as const) : ('incoming' as const);
      draft.decision.deliveries.push({ to: userId, device: deviceId, elsewhere: { callId: call.callId, userId: peer, direction, phase: call.phase, device: taking } });
    }
  }
}

function kick(draft: DecisionDraft, userId: string, device: DeviceRecord): void {
  draft.decision.kicks.push({ userId, deviceId: device.deviceId, node: device.node, connectionId: device.connectionId, code: ErrorCode.REPLACED });
}

export function disconnect(draft: DecisionDraft, input: DisconnectInput): void {
  const user = draft.user(input.userId);
  const device = deviceBySession(user, input.sessionId);
  if (!user || !device || device.connectionId !== input.connectionId || !device.connected) return;
  if (input.final || draft.ctx.graceMs <= 0) {
    deviceGone(draft, user, device);
    return;
  }
  const now = draft.ctx.now;
  const graceDeadline = now + draft.ctx.graceMs;
  draft.putUser(withDevice(user, { ...device, connected: false, graceDeadline, droppedAt: now }));
  draft.setTimer(graceTimerKey(user.userId, device.deviceId), graceDeadline, {
    kind: 'grace-expired',
    userId: user.userId,
    sessionId: device.sessionId,
  });
}

export function graceExpired(draft: DecisionDraft, input: GraceExpiredInput): void {
  const user = draft.user(input.userId);
  const device = deviceBySession(user, input.sessionId);
  if (!user || !device || device.connected || draft.ctx.now < device.graceDeadline) return;
  deviceGone(draft, user, device);
}

/** The device says it is going away: it is not rung or offered customers, and presence shows it at once. */
export function leaving(draft: DecisionDraft, input: LeavingInput): void {
  const user = draft.user(input.userId);
  const device = deviceBySession(user, input.sessionId);
  if (!user || !device) {
    draft.fail(ErrorCode.REPLACED);
    return;
  }
  if (!device.leaving) draft.putUser(withDevice(user, { ...device, leaving: true }));
}

/**
 * Moves the user's started call to the device of this session: the old device gets FINISH MOVED,
 * this one START with the same roomId, and the peer's media starts afresh (no FINISH for it).
 */
export function moveHere(draft: DecisionDraft, input: MoveHereInput): void {
  const user = draft.user(input.from);
  const device = deviceBySession(user, input.sessionId);
  const call = draft.callOf(input.from);
  if (!user || !device || !call || call.phase !== 'talking') {
    draft.fail(ErrorCode.NOTINCALL, 'no started call to move to this device');
    return;
  }
  const from = participantOf(call, input.from);
  if (from === device.deviceId) return;
  draft.deliver(call, input.from, VideoCallEvent.FINISH, ErrorCode.MOVED, emptyPayload, from === undefined ? {} : { device: from });
  const moved = draft.advance(call, 'talking', input.from === call.caller ? { callerDevice: device.deviceId } : { calleeDevice: device.deviceId });
  draft.deliver(moved, input.from, VideoCallEvent.START, 0, { flags: moved.flags, param: moved.roomId, userStr: '' });
  const peer = input.from === moved.caller ? moved.callee : moved.caller;
  const peerDevice = participantOf(moved, peer);
  if (peerDevice !== undefined) {
    draft.decision.signals.push({ to: peer, device: peerDevice, message: { type: 'signal', roomId: moved.roomId, from: input.from, data: { kind: 'moved' } } });
  }
  draft.tellElsewhere(moved, input.from, 'talking');
}

/**
 * A device is gone for good (its grace period ended, it left on purpose, or it signed in afresh):
 * it leaves the user; the user's call ends by rule 5 when that device took part in it; the user
 * leaves with its last device. Returns the user as it is now (undefined once gone).
 */
function deviceGone(draft: DecisionDraft, user: UserRecord, device: DeviceRecord): UserRecord | undefined {
  draft.clearTimer(graceTimerKey(user.userId, device.deviceId));
  if (user.devices.length <= 1) {
    leave(draft, user);
    return draft.user(user.userId);
  }
  const call = draft.call(user.callId);
  if (call && takesPart(call, user.userId, device.deviceId)) endForDeparture(draft, user.userId, call, lastSignOf(draft, device));
  const rest = withoutDevice(draft.user(user.userId) ?? user, device.deviceId);
  draft.putUser(rest);
  return rest;
}

const takesPart = (call: CallRecord, userId: string, deviceId: string): boolean => participantOf(call, userId) === deviceId;

/**
 * The user is gone for good: its call ends as rule 5 says, and it goes offline. A REQUEST that
 * waits for it (waking) waits on to its end instead, the callee held by a record without devices.
 */
function leave(draft: DecisionDraft, user: UserRecord): void {
  const call = draft.call(user.callId);
  for (const device of user.devices) draft.clearTimer(graceTimerKey(user.userId, device.deviceId));
  if (call?.waking && call.callee === user.userId) {
    draft.putUser({ userId: user.userId, devices: [], callId: call.callId });
  } else {
    draft.removeUser(user.userId);
    if (call) endForDeparture(draft, user.userId, call, lastSignOf(draft, participantDevice(user, call)));
  }
  queues.userLeft(draft, user);
}

/** When a device was last heard of: when its socket dropped, or now if it left on purpose. */
function lastSignOf(draft: DecisionDraft, device: DeviceRecord | undefined): number {
  return device?.droppedAt ? Math.min(device.droppedAt, draft.ctx.now) : draft.ctx.now;
}

function participantDevice(user: UserRecord, call: CallRecord): DeviceRecord | undefined {
  const deviceId = participantOf(call, user.userId);
  return user.devices.find((device) => device.deviceId === deviceId) ?? (user.devices.length === 1 ? user.devices[0] : undefined);
}

/** Rule 5: a party is gone (a device that took part, or the whole user); the other party hears it. */
function endForDeparture(draft: DecisionDraft, userId: string, call: CallRecord, lastSign: number): void {
  const code = ErrorCode.DISCONNECT;
  const other = userId === call.caller ? call.callee : call.caller;
  let step: CallStep;
  if (call.phase === 'talking') {
    // Only the other party: the departed device's session is over (the same device signing in afresh has a new one).
    draft.deliver(call, other, VideoCallEvent.FINISH, code, emptyPayload);
    step = stepOf(VideoCallEvent.FINISH, userId, other, code, emptyPayload);
  } else if (userId === call.callee) {
    draft.deliver(call, call.caller, VideoCallEvent.REPLY, code, echoOf(call));
    step = stepOf(VideoCallEvent.REPLY, call.callee, call.caller, code, echoOf(call));
  } else {
    if (call.phase === 'ringing') draft.deliver(call, call.callee, VideoCallEvent.FINISH, code, emptyPayload);
    step = stepOf(VideoCallEvent.FINISH, call.caller, call.callee, code, emptyPayload);
  }
  draft.end(call, { outcome: 'disconnected', endedBy: userId, step, talkEndedAt: lastSign });
}
