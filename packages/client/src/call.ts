import { EventEmitter } from 'eventemitter3';
import { CallgateError, ErrorCode, VideoCallEvent, type CallPhase, type EventMessage } from '@callgate/protocol';
import type { MediaKind, MediaSession, MediaState } from './media/media-session.js';
import type { TransferTarget } from './agent-desk.js';

export type CallDirection = 'outgoing' | 'incoming';

/** A call's phase, the protocol's one vocabulary: dialing (REQUEST sent, not yet at the callee), ringing, talking, ended. */
export type CallState = CallPhase;

/** An outgoing call's callee has no device that can ring yet and is being woken. */
export interface CallWaking {
  /** Whether the server asked a push hook to wake the callee's app (else: its devices are coming back). */
  pushed: boolean;
  /** When the wait ends (ms since the epoch, server clock): `ringing` before it, or `ended` OFFLINE. */
  until: number;
}

export interface CallEvents {
  /** Outgoing: the callee has no device to ring now and is being woken; `ringing` or `ended` (OFFLINE) follows. */
  waking: (wait: CallWaking) => void;
  /** Outgoing: the callee's device is ringing (REPLY 0). */
  ringing: () => void;
  /** Both sides got START; join `roomId`. */
  started: (roomId: number) => void;
  /**
   * The call is over: refused (REPLY≠0) or finished (FINISH); `errorCode` says why, 0 for a normal
   * hang-up, and `userStr` is what that REPLY or FINISH carried ('' when the call ended here, e.g.
   * the connection was lost for good).
   */
  ended: (errorCode: number, userStr: string) => void;
  /** The call's media changed: streams arrived, the connection state moved, a device was muted. */
  'media-state': (state: MediaState) => void;
}

export interface CallOptions {
  flags?: number;
  param?: number;
  userStr?: string;
}

/** Sends a control for a call; resolves when the server accepted it. */
export type ControlSender = (
  event: 2 | 4,
  peer: string,
  errorCode: number,
  options: CallOptions,
) => Promise<void>;

/** One call, outgoing or incoming, as the idiomatic API shows it. */
export class Call extends EventEmitter<CallEvents> {
  callId: string | null;
  state: CallState;
  /** The room to join once started; 0 before. */
  roomId = 0;
  /** Outgoing, while the callee is being woken (see the `waking` event); null otherwise. */
  waking: CallWaking | null = null;
  /** Why the call ended (0: hung up normally); undefined while live. */
  endCode: number | undefined;
  /** The userStr of the REPLY or FINISH that ended the call; undefined while live. */
  endUserStr: string | undefined;
  /** What the REQUEST carried. */
  readonly flags: number;
  readonly param: number;
  readonly userStr: string;
  /** At an agent, for a queue offer: the queue the customer waited in. */
  readonly queue: string | undefined;

  constructor(
    private readonly sendControl: ControlSender,
    readonly peer: string,
    readonly direction: CallDirection,
    request: { callId: string | null; flags: number; param: number; userStr: string; queue?: string | undefined },
    private readonly desk?: { transfer(target: TransferTarget): Promise<void> },
  ) {
    super();
    this.callId = request.callId;
    this.flags = request.flags;
    this.param = request.param;
    this.userStr = request.userStr;
    this.queue = request.queue;
    this.state = direction === 'incoming' ? 'ringing' : 'dialing';
  }

  /** The media of this started call; null before START, or when the client's media is off. */
  media: MediaSession | null = null;

  /** This side's camera and microphone during the call. */
  get localStream(): MediaStream | null {
    return this.media?.localStream ?? null;
  }

  /** The other party's audio and video during the call. */
  get remoteStream(): MediaStream | null {
    return this.media?.remoteStream ?? null;
  }

  /** Mutes or unmutes this side's microphone or camera. */
  setMuted(kind: MediaKind, muted: boolean): void {
    this.media?.setMuted(kind, muted);
  }

  /** Called by the SDK at START. */
  attachMedia(session: MediaSession): void {
    this.media = session;
    session.on('media-state', (state) => this.emit('media-state', state));
    this.emit('media-state', session.state);
  }

  get isLive(): boolean {
    return this.state !== 'ended';
  }

  /** Incoming: answer (REPLY 0). Both sides then get `started`. */
  accept(options: CallOptions = {}): Promise<void> {
    return this.sendControl(VideoCallEvent.REPLY, this.peer, ErrorCode.SUCCESS, options);
  }

  /**
   * Incoming: refuse (REPLY `code`, REJECT by default). The server tells only the caller, so once
   * it has taken the refusal the call ends here too, with `code`.
   */
  async reject(code: number = ErrorCode.REJECT, options: CallOptions = {}): Promise<void> {
    await this.sendControl(VideoCallEvent.REPLY, this.peer, code, options);
    this.end(code);
  }

  /** Hang up (FINISH); before the answer, the caller's hang-up cancels the call. */
  hangup(code: number = ErrorCode.SUCCESS, options: CallOptions = {}): Promise<void> {
    return this.sendControl(VideoCallEvent.FINISH, this.peer, code, options);
  }

  /**
   * At an agent, during a started queue call: hands the customer to another queue (it waits there
   * keeping its time of entry) or to a named agent. The call ends for both with FINISH
   * TRANSFERRED (200024). Rejects with TRANSFER_REFUSED, QUEUE_NOT_FOUND, QUEUE_FULL…
   */
  transfer(target: TransferTarget): Promise<void> {
    if (!this.desk) return Promise.reject(new CallgateError(ErrorCode.TRANSFER_REFUSED, 'only the agent of a queue call may transfer it'));
    return this.desk.transfer(target);
  }

  /** Called by the SDK when the server says the callee is being woken. */
  wake(wait: CallWaking): void {
    if (this.state !== 'dialing') return;
    this.waking = wait;
    this.emit('waking', wait);
  }

  /** Applies a server event about this call. Returns true when it ended the call. */
  apply(event: Pick<EventMessage, 'event' | 'errorCode' | 'param' | 'userStr'>): boolean {
    if (this.state === 'ended') return true;
    switch (event.event) {
      case VideoCallEvent.REPLY:
        if (event.errorCode === 0) {
          if (this.state === 'dialing') {
            this.state = 'ringing';
            this.waking = null;
            this.emit('ringing');
          }
          return false;
        }
        this.end(event.errorCode, event.userStr);
        return true;
      case VideoCallEvent.START:
        this.state = 'talking';
        this.roomId = event.param;
        this.emit('started', event.param);
        return false;
      case VideoCallEvent.FINISH:
        this.end(event.errorCode, event.userStr);
        return true;
      default:
        return false;
    }
  }

  /** Ends the call (locally: connection lost for good, or a control that could not be sent). */
  end(errorCode: number, userStr = ''): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.waking = null;
    this.endCode = errorCode;
    this.endUserStr = userStr;
    this.emit('ended', errorCode, userStr);
  }
}
