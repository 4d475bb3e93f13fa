import { ErrorCode, type SignalDeliveryMessage, type SignalMessage } from '@callgate/protocol';
import type { ControlResult } from '../calls/types.js';
import type { StateBackend } from '../state/backend.js';

/** Hands a signal to a user's live socket. */
export interface SignalRoute {
  /** False when no socket of `userId` is here (dropped, or on another node). */
  deliverSignal(userId: string, message: SignalDeliveryMessage): boolean;
}

/** Relays WebRTC signaling between the two parties of a started call, and to nobody else. */
export interface SignalRelay {
  relay(sender: { userId: string; sessionId: string }, message: SignalMessage): Promise<ControlResult>;
}

/**
 * The single-node relay: the sender must be talking in the call of that room, and the peer's
 * socket must be on this node. Signals are not kept for a peer whose connection is down; its
 * SDK restarts ICE when it resumes. A cluster relay would publish to the peer's node instead.
 */
export class LocalSignalRelay implements SignalRelay {
  constructor(
    private readonly backend: StateBackend,
    private readonly route: SignalRoute,
  ) {}

  async relay(sender: { userId: string; sessionId: string }, message: SignalMessage): Promise<ControlResult> {
    const { user, call } = await this.backend.inspect(sender.userId);
    if (!user || user.sessionId !== sender.sessionId || !call || call.phase !== 'talking' || call.roomId !== message.roomId) {
      return { ok: false, code: ErrorCode.NOT_IN_ROOM };
    }
    const peer = call.caller === sender.userId ? call.callee : call.caller;
    this.route.deliverSignal(peer, { type: 'signal', roomId: message.roomId, from: sender.userId, data: message.data });
    return { ok: true };
  }
}
