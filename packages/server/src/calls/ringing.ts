import { ErrorCode, VideoCallEvent } from '@callgate/protocol';
import { echoOf, ringTimerKey, stepOf, wakeTimerKey, type DecisionDraft } from './draft.js';
import { latestGrace, present } from './devices.js';
import type { CallRecord, UserRecord, WakeExpiredInput } from './types.js';

/**
 * The callee gets the REQUEST on every device but those going away, the caller the ringing ack
 * (REPLY 0) — rule 1, once a device of the callee can ring. A device away in its grace period
 * finds the REQUEST in its outbox when it comes back.
 */
export function ring(draft: DecisionDraft, authorized: CallRecord): void {
  const now = draft.ctx.now;
  const ringDeadline = now + draft.ctx.ringTimeoutMs;
  const call = draft.advance(authorized, 'ringing', { ringDeadline, waking: undefined });
  const request = { flags: call.flags, param: call.param, userStr: call.userStr };
  for (const target of ringTargets(draft.user(call.callee))) draft.deliver(call, call.callee, VideoCallEvent.REQUEST, 0, request, target);
  draft.deliver(call, call.caller, VideoCallEvent.REPLY, 0, echoOf(call));
  draft.clearTimer(wakeTimerKey(call.callId));
  draft.setTimer(ringTimerKey(call.callId), ringDeadline, { kind: 'ring-expired', callId: call.callId });
  const waking = authorized.waking;
  draft.decision.transitions.push({
    type: 'ringing',
    call,
    at: now,
    step: stepOf(VideoCallEvent.REPLY, call.callee, call.caller, 0, echoOf(call)),
    ...(waking ? { woke: { pushed: waking.pushed, afterMs: now - waking.since } } : {}),
  });
  draft.tellElsewhere(call, call.caller, 'ringing');
}

/** Where a REQUEST goes: one delivery to every device of the callee, or one per device when some are leaving. */
function ringTargets(callee: UserRecord | undefined): { device?: string }[] {
  const devices = callee?.devices ?? [];
  if (!devices.some((device) => device.leaving)) return [{}];
  return devices.filter((device) => !device.leaving).map((device) => ({ device: device.deviceId }));
}

/**
 * Rings when the callee has a device that can ring. Otherwise (docs/architecture.md, "Devices"):
 * its devices are away (a reload, a network drop) and may come back within their grace period,
 * or a push hook may wake its app; the caller is told the callee is being woken and the REQUEST
 * waits until the last of those deadlines. With neither, OFFLINE at once.
 */
export function ringOrWait(draft: DecisionDraft, call: CallRecord, push: boolean): void {
  const now = draft.ctx.now;
  if (present(draft.user(call.callee))) {
    ring(draft, call);
    return;
  }
  const until = Math.max(latestGrace(draft.user(call.callee)), push ? now + draft.ctx.offlineWaitMs : 0);
  if (until <= now) {
    offline(draft, call);
    return;
  }
  const waiting = draft.advance(call, 'dialing', { waking: { since: now, until, pushed: push } });
  draft.decision.deliveries.push({
    to: call.caller,
    device: call.callerDevice,
    waking: { callId: call.callId, userId: call.callee, pushed: push, until },
  });
  draft.setTimer(wakeTimerKey(call.callId), until, { kind: 'wake-expired', callId: call.callId });
  if (push) draft.decision.wakes.push({ type: 'push', call: waiting, at: now });
}

/** The wait is over and no device of the callee came: REPLY OFFLINE. */
export function wakeExpired(draft: DecisionDraft, input: WakeExpiredInput): void {
  const call = draft.call(input.callId);
  if (!call?.waking || call.phase !== 'dialing' || draft.ctx.now < call.waking.until) return;
  offline(draft, call);
}

function offline(draft: DecisionDraft, call: CallRecord): void {
  draft.deliver(call, call.caller, VideoCallEvent.REPLY, ErrorCode.OFFLINE, echoOf(call));
  const step = stepOf(VideoCallEvent.REPLY, call.callee, call.caller, ErrorCode.OFFLINE, echoOf(call));
  draft.end(call, { outcome: 'offline', endedBy: 'server', step });
}
