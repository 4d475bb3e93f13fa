import { ErrorCode, type SignalMessage } from '@callgate/protocol';
import type { ControlResult } from '../calls/types.js';
import type { StateBackend } from '../state/backend.js';

/**
 * Relays WebRTC signaling between the two parties of a started call, and to nobody else: the
 * sender must be talking in the call of that room. The signal goes to the peer's socket on
 * whichever node holds it. Signals are not kept for a peer whose connection is down; its SDK
 * restarts ICE when it resumes.
 */
export class SignalRelay {
  constructor(private readonly backend: StateBackend) {}

  async relay(sender: { userId: string; sessionId: string }, message: SignalMessage): Promise<ControlResult> {
    const { user, call } = await this.backend.inspect(sender.userId);
    if (!user || user.sessionId !== sender.sessionId || !call || call.phase !== 'talking' || call.roomId !== message.roomId) {
      return { ok: false, code: ErrorCode.NOT_IN_ROOM };
    }
    const peerId = call.caller === sender.userId ? call.callee : call.caller;
    const [peer] = await this.backend.userRecords([peerId]);
    if (peer?.connected && peer.callId === call.callId) {
      await this.backend.sendSignal(peerId, peer.node, { type: 'signal', roomId: message.roomId, from: sender.userId, data: message.data });
    }
    return { ok: true };
  }
}
