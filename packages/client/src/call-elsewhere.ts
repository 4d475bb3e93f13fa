import type { ElsewhereMessage } from '@callgate/protocol';
import type { Call, CallDirection } from './call.js';

/**
 * The user's call on another of its devices (another tab, the phone), as the server tells it:
 * read-only, so that a page can show "in a call on another device" and offer to take it here.
 */
export interface CallElsewhere {
  readonly callId: string;
  /** The other party. */
  readonly peer: string;
  readonly direction: CallDirection;
  readonly state: 'dialing' | 'ringing' | 'talking';
  /** The device taking part in it. */
  readonly device: string;
  /**
   * Moves the started call to this device: the other device's call ends with MOVED, this one
   * starts with the same roomId (the peer's media renegotiates; it hears no FINISH). Resolves
   * with this device's Call; rejects with a CallgateError (NOTINCALL: no started call to move).
   */
  moveHere(): Promise<Call>;
}

/** Follows the `elsewhere` messages of a session: the user's call on another device, or null. */
export class CallsElsewhere {
  current: CallElsewhere | null = null;

  constructor(
    private readonly moveHere: () => Promise<Call>,
    private readonly changed: (call: CallElsewhere | null) => void,
  ) {}

  apply(message: ElsewhereMessage): void {
    if (message.phase === 'ended') {
      if (this.current?.callId === message.callId) this.set(null);
      return;
    }
    const { callId, userId: peer, direction, phase: state, device } = message;
    this.set({ callId, peer, direction, state, device, moveHere: this.moveHere });
  }

  /** The call moved to this device: it is no longer elsewhere. Returns what it was, if it was the one. */
  arrived(callId: string): CallElsewhere | null {
    const known = this.current?.callId === callId ? this.current : null;
    if (known) this.set(null);
    return known;
  }

  /** A new session, or none: the server tells it anew. */
  forget(): void {
    if (this.current) this.set(null);
  }

  private set(call: CallElsewhere | null): void {
    this.current = call;
    this.changed(call);
  }
}
