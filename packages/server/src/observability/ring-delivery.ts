import { performance } from 'node:perf_hooks';
import { VideoCallEvent, type ClientMessage, type ParseResult, type ServerMessage } from '@callgate/protocol';
import type { CallTransition } from '../calls/types.js';

/** REQUESTs that arrived but whose call the switchboard has not named yet, at most. */
const MAX_UNDECIDED = 10_000;

const pairKey = (caller: string, callee: string): string => `${caller}\n${callee}`;

/**
 * Times a call's ring delivery: from the REQUEST control's arrival at the server to the REQUEST
 * event written to the callee's socket. The arrival is known by caller and callee; the
 * switchboard's "requested" transition names the call, for a REQUEST that is delivered later
 * (after the business server allowed it, or when the callee resumes).
 */
export class RingDeliveryClock {
  private readonly undecided = new Map<string, number>();
  private readonly ringing = new Map<string, number>();

  constructor(private readonly observe: (seconds: number) => void) {}

  received(parsed: ParseResult<ClientMessage>, userId: string): void {
    if (!parsed.ok || userId === '') return;
    const message = parsed.message;
    if (message.type !== 'control' || message.event !== VideoCallEvent.REQUEST) return;
    const key = pairKey(userId, String(message.userId));
    this.undecided.delete(key);
    this.undecided.set(key, performance.now());
    if (this.undecided.size > MAX_UNDECIDED) {
      const oldest = this.undecided.keys().next().value;
      if (oldest !== undefined) this.undecided.delete(oldest);
    }
  }

  transition(transition: CallTransition): void {
    const { call } = transition;
    switch (transition.type) {
      case 'requested': {
        const key = pairKey(call.caller, call.callee);
        const arrivedAt = this.undecided.get(key);
        this.undecided.delete(key);
        if (arrivedAt !== undefined) this.ringing.set(call.callId, arrivedAt);
        return;
      }
      case 'ringing':
        return;
      case 'started':
        // Glare: the callee's own REQUEST answered the call.
        this.undecided.delete(pairKey(call.callee, call.caller));
        this.ringing.delete(call.callId);
        return;
      case 'ended':
        if (transition.endedIn === 'requested') this.undecided.delete(pairKey(call.caller, call.callee));
        this.ringing.delete(call.callId);
        return;
    }
  }

  /** `to` got `message`; a REQUEST may reach the socket before the switchboard reports the transition. */
  sent(message: ServerMessage, to: string): void {
    if (message.type !== 'event' || message.event !== VideoCallEvent.REQUEST) return;
    const key = pairKey(message.userId, to);
    const arrivedAt = this.ringing.get(message.callId) ?? this.undecided.get(key);
    this.ringing.delete(message.callId);
    this.undecided.delete(key);
    if (arrivedAt !== undefined) this.observe((performance.now() - arrivedAt) / 1000);
  }
}
