import { ErrorCode, type SignalMessage } from '@callgate/protocol';
import type { ControlResult } from '../calls/types.js';
import type { StateBackend } from '../state/backend.js';
import { participantOf } from '../calls/draft.js';
import { deviceById, deviceBySession } from '../calls/devices.js';

/**
 * Relays WebRTC signaling between the two parties of a started call, and to nobody else: the
 * sender must be talking in the call of that room. The signal goes to the peer's socket on
 * whichever node holds it. Signals are not kept for a peer whose connection is down; its SDK
 * restarts ICE when it resumes.
 */
export class SignalRelay {
  constructor(private readonly backend: StateBackend) {}

  /** Only the device taking part in the call may signal, and only to the peer's device taking part. */
  async relay(sender: { userId: string; sessionId: string }, message: SignalMessage): Promise<ControlResult> {
    const { user, call } = await this.backend.inspect(sender.userId);
    const device = deviceBySession(user, sender.sessionId);
    if (!user || !device || !call || call.phase !== 'talking' || call.roomId !== message.roomId || participantOf(call, sender.userId) !== device.deviceId) {
      return { ok: false, code: ErrorCode.NOT_IN_ROOM };
    }
    const peerId = call.caller === sender.userId ? call.callee : call.caller;
    const [peer] = await this.backend.userRecords([peerId]);
    const peerDevice = deviceById(peer, participantOf(call, peerId));
    if (peer?.callId === call.callId && peerDevice?.connected) {
      const signal = { type: 'signal' as const, roomId: message.roomId, from: sender.userId, data: message.data };
      await this.backend.sendSignal(peerId, peerDevice.deviceId, peerDevice.node, signal);
    }
    return { ok: true };
  }
}
