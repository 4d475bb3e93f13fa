import type { AgentState, ElsewhereMessage, EntryView, LiveCallPhase, SignalDeliveryMessage, VideoCallEventType, WakingMessage } from '@callgate/protocol';
import type { AgentRecord, EntryRecord, QueueInput, QueueLookup, QueueTimerInput, QueueTransition, QueueView } from '../queues/types.js';

/** The device id of a login that names none: a second such login replaces the first. */
export const DEFAULT_DEVICE = 'default';

/** One device of a user (a browser tab, an app install): its session, its socket, its grace period. */
export interface DeviceRecord {
  deviceId: string;
  /** The device's session; also its resume token. */
  sessionId: string;
  /** The node that holds this device's socket ("local" on a single node). */
  node: string;
  /** The socket attached to the session now (a resumed session gets a new one). */
  connectionId: string;
  /** False while the socket is gone and the grace period runs. */
  connected: boolean;
  /** True once the device said it is going away (its page closes): not rung, not offered customers. */
  leaving?: boolean;
  /** When the grace period ends (ms since epoch); 0 while connected. */
  graceDeadline: number;
  /** When its socket went away (ms since epoch); 0 while connected. */
  droppedAt?: number;
  /** Ids of this session's latest controls with the code each got (0 = applied), so a re-sent control is applied once. */
  recentControls?: [string, number][];
}

/** A user with at least one device connected or in its grace period, as the call state machine sees it. */
export interface UserRecord {
  userId: string;
  /** Its devices, in the order they signed in; never empty. */
  devices: DeviceRecord[];
  /** The call this user is in, or null when idle. */
  callId: string | null;
  /** From the access token: the user's role, and whom it may call (see CallgateClaims). */
  role?: string;
  canCall?: string[];
  /** From the token: a customer's priority in queues (0–100). */
  priority?: number;
  /** For a user whose token says role "agent": its service status and queues. */
  agent?: AgentRecord;
  /** The queue entry this user (a customer) is in; it is busy meanwhile. */
  entryId?: string;
}

/** A live call's phase (the protocol's vocabulary: dialing, ringing, talking). */
export type CallPhase = LiveCallPhase;

export interface CallRecord {
  callId: string;
  caller: string;
  callee: string;
  phase: CallPhase;
  flags: number;
  param: number;
  userStr: string;
  /** 0 until the call starts. */
  roomId: number;
  requestedAt: number;
  /** When ringing ends with TIMEOUT (ms since epoch): the ringing timeout after the callee was told. */
  ringDeadline: number;
  /** When the callee answered, accepting or refusing; 0 before. */
  answeredAt: number;
  /** When START was sent; 0 before. */
  startedAt: number;
  /** For a queue call (an offer, a manual pick): the entry and its queue. The customer is the caller. */
  entryId?: string;
  queue?: string;
  /** The caller's device that sent the REQUEST: the one that takes part. */
  callerDevice: string;
  /** The callee's device that answered; absent while every device of the callee rings. */
  calleeDevice?: string;
  /** While the callee has no device that can ring: when the wait ends, and whether a push hook was asked to wake it. */
  waking?: { since: number; until: number; pushed: boolean };
}

/** What a user's callback receives, before the delivery layer numbers it. */
export interface CallEvent {
  callId: string;
  event: VideoCallEventType;
  /** The other party. */
  userId: string;
  errorCode: number;
  flags: number;
  param: number;
  userStr: string;
  /** For a queue offer at the agent: the customer's queue. */
  queue?: string;
}

/** Which of a user's devices a delivery is for: one (`device`), every device but one (`except`), or all. */
export interface DeliveryTarget {
  to: string;
  device?: string;
  except?: string;
}

/** Something for a user's outboxes: a call event, its entry's new state, its agent status, its call elsewhere, a wait. */
export type Delivery = DeliveryTarget &
  (
    | { event: CallEvent }
    | { entry: EntryView }
    | { agent: AgentState }
    | { elsewhere: Omit<ElsewhereMessage, 'type' | 'seq'> }
    | { waking: Omit<WakingMessage, 'type' | 'seq'> }
  );

/** A timer the machine wants to fire later; it feeds `input` back to the machine. */
export type TimerChange = { set: string; at: number; input: TimerInput } | { clear: string };

/** Why a call ended, for records, metrics, logs and the business server. */
export type CallOutcome =
  | 'completed'
  | 'refused'
  | 'busy'
  | 'offline'
  | 'cancelled'
  | 'timeout'
  | 'disconnected'
  | 'vetoed'
  | 'force-ended'
  | 'caller-busy'
  | 'forbidden'
  | 'invalid'
  | 'shutting-down'
  | 'transferred';

/**
 * The event that made a step of a call, as the machine decided it: its type, the party it came
 * from (or on whose behalf the server made it: the callee for a TIMEOUT or a BUSY), the party it
 * went to, its code and what it carried. Records, logs, metrics and the business server read a
 * step from here instead of working it out again (docs/architecture.md, "The life of a REQUEST").
 */
export interface CallStep {
  event: VideoCallEventType;
  from: string;
  to: string;
  errorCode: number;
  flags: number;
  param: number;
  userStr: string;
}

export type CallTransition =
  | { type: 'requested'; call: CallRecord; at: number; step: CallStep }
  | {
      type: 'ringing';
      call: CallRecord;
      at: number;
      step: CallStep;
      /** When the callee had no device first: whether it was pushed, and how long it took to come. */
      woke?: { pushed: boolean; afterMs: number };
    }
  | { type: 'started'; call: CallRecord; at: number; step: CallStep }
  | {
      type: 'ended';
      call: CallRecord;
      at: number;
      step: CallStep;
      outcome: CallOutcome;
      /** A user id, or "server" (timers, disconnects) or "business". */
      endedBy: string;
      /** The phase the call was in when it ended ("refused at once" calls never got past "requested"). */
      endedIn: CallPhase | 'requested';
      /**
       * A call that ended because a party's device dropped and never came back: when that device
       * was last heard of. The billable duration ends here, not after the grace period.
       */
      talkEndedAt?: number;
    };

/** Asks the business server whether a REQUEST may ring. */
export interface AuthorizeRequest {
  call: CallRecord;
  /** Whether a push hook may wake the callee (carried back with the decision). */
  push: boolean;
}

/** Closes a device's socket wherever it is. */
export interface Kick {
  userId: string;
  deviceId: string;
  node: string;
  connectionId: string;
  code: number;
}

/** The answer to the control that caused a decision, sent on the sender's socket only. */
export type ControlResult = { ok: true } | { ok: false; code: number; message?: string };

// ---- inputs ----

export interface ControlInput {
  kind: 'control';
  from: string;
  sessionId: string;
  event: VideoCallEventType;
  /** The other party, as on the wire. */
  userId: string;
  errorCode: number;
  flags: number;
  param: number;
  userStr: string;
  /** True when a business server must allow a REQUEST before it rings. */
  authorize: boolean;
  /** The client's id for this control; a control whose id was seen in this session gets its first answer again. */
  id?: string;
  /** True while the server drains for shutdown: a new REQUEST is refused at once with SHUTTING_DOWN. */
  draining?: boolean;
  /** True when a push hook can wake a callee with no device: a REQUEST to it waits `offlineWaitMs` instead of OFFLINE at once. */
  push?: boolean;
}

export interface ConnectInput {
  kind: 'connect';
  userId: string;
  /** The device signing in; DEFAULT_DEVICE ("default") when the client named none. */
  deviceId?: string;
  /** A fresh session id, used unless the resume succeeds. */
  newSessionId: string;
  node: string;
  connectionId: string;
  resumeSessionId?: string;
  role?: string;
  canCall?: string[];
  /** Contact-centre claims of the token (see CallgateClaims). */
  queues?: string[];
  skills?: string[];
  priority?: number;
}

export interface DisconnectInput {
  kind: 'disconnect';
  userId: string;
  sessionId: string;
  connectionId: string;
  /** True when the client closed on purpose: no grace period. */
  final: boolean;
}

export interface GraceExpiredInput {
  kind: 'grace-expired';
  userId: string;
  sessionId: string;
}

/** The device says it is going away (its page closes). */
export interface LeavingInput {
  kind: 'leaving';
  userId: string;
  sessionId: string;
}

/** The user moves its started call to the device of this session. */
export interface MoveHereInput {
  kind: 'move-here';
  from: string;
  sessionId: string;
  id?: string;
}

/** The wait for a callee's device to come (or be woken) is over. */
export interface WakeExpiredInput {
  kind: 'wake-expired';
  callId: string;
}

export interface RingExpiredInput {
  kind: 'ring-expired';
  callId: string;
}

export interface AuthorizedInput {
  kind: 'authorized';
  callId: string;
  /** 0 lets the call ring; anything else refuses it with that code. */
  code: number;
  /** Whether a push hook may wake a callee with no device (as the REQUEST said). */
  push?: boolean;
}

export interface ForceFinishInput {
  kind: 'force-finish';
  userId: string;
  errorCode: number;
  userStr: string;
  /** Carried to both parties with the FINISH; 0 when omitted. */
  flags?: number;
  param?: number;
  /** Who asked: "business", or "server" for a shutdown. */
  by: string;
}

export type TimerInput = GraceExpiredInput | RingExpiredInput | WakeExpiredInput | QueueTimerInput;

export type CallInput =
  | ControlInput
  | ConnectInput
  | DisconnectInput
  | GraceExpiredInput
  | RingExpiredInput
  | AuthorizedInput
  | ForceFinishInput
  | LeavingInput
  | MoveHereInput
  | WakeExpiredInput
  | QueueInput;

// ---- snapshot and decision ----

/** The users and calls a decision reads; a missing key means "absent". */
export interface Snapshot {
  users: ReadonlyMap<string, UserRecord>;
  calls: ReadonlyMap<string, CallRecord>;
  /** The contact centre's entries and indexes; absent where no queue is read. */
  queues?: QueueView;
}

export interface Decision {
  /** Records to write; null deletes. */
  users: Map<string, UserRecord | null>;
  calls: Map<string, CallRecord | null>;
  entries: Map<string, EntryRecord | null>;
  deliveries: Delivery[];
  timers: TimerChange[];
  transitions: CallTransition[];
  queueTransitions: QueueTransition[];
  authorize: AuthorizeRequest[];
  kicks: Kick[];
  /** Signals the server itself sends (a peer's call moved to another device: start the media afresh). */
  signals: { to: string; device: string; message: SignalDeliveryMessage }[];
  /** What a push hook must hear: wake this callee, or its call ended before it came. */
  wakes: { type: 'push' | 'cancelled'; call: CallRecord; at: number }[];
  /** For control and force-finish inputs. */
  result: ControlResult;
  /** For connect inputs: the session the device now has and whether it was resumed; or why it was refused. */
  session?: { sessionId: string; resumed: boolean } | { refused: number };
  /** For queue inputs: what the sender's ack carries (its new entry, the call it took, nobody waiting). */
  ack?: { entryId?: string; callId?: string; empty?: boolean };
}

/** Everything impure the machine needs, injected. */
export interface DecisionContext {
  now: number;
  newCallId(): string;
  /** A non-zero unsigned 32-bit id not used by any live call. */
  newRoomId(): number;
  ringTimeoutMs: number;
  graceMs: number;
  newEntryId(): string;
  /** The queue directory. */
  queue: QueueLookup;
  /** How long a REQUEST waits for a callee with no device when a push hook can wake it. */
  offlineWaitMs: number;
  /** Devices a user may have at once; with 1 a new device replaces the old one. */
  maxDevices: number;
}
