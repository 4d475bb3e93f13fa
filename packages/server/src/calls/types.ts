import type { AgentState, EntryView, LiveCallPhase, VideoCallEventType } from '@callgate/protocol';
import type { AgentRecord, EntryRecord, QueueInput, QueueLookup, QueueTimerInput, QueueTransition, QueueView } from '../queues/types.js';

/** A connected (or recently dropped) user, as the call state machine sees it. */
export interface UserRecord {
  userId: string;
  /** The session that owns this user now; also the resume token. */
  sessionId: string;
  /** The node that holds this user's socket ("local" on a single node). */
  node: string;
  /** The socket attached to the session now (a resumed session gets a new one). */
  connectionId: string;
  /** False while the socket is gone and the grace period runs. */
  connected: boolean;
  /** When the grace period ends (ms since epoch); 0 while connected. */
  graceDeadline: number;
  /** The call this user is in, or null when idle. */
  callId: string | null;
  /** From the access token: the user's role, and whom it may call (see CallgateClaims). */
  role?: string;
  canCall?: string[];
  /** Ids of this session's latest controls with the code each got (0 = applied), so a re-sent control is applied once. */
  recentControls?: [string, number][];
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

/** Something for a user's outbox: a call event, its queue entry's new state, or its agent status. */
export type Delivery = { to: string; event: CallEvent } | { to: string; entry: EntryView } | { to: string; agent: AgentState };

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
  | { type: 'ringing'; call: CallRecord; at: number; step: CallStep }
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
    };

/** Asks the business server whether a REQUEST may ring. */
export interface AuthorizeRequest {
  call: CallRecord;
}

/** Closes a session's socket wherever it is. */
export interface Kick {
  userId: string;
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
}

export interface ConnectInput {
  kind: 'connect';
  userId: string;
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

export interface RingExpiredInput {
  kind: 'ring-expired';
  callId: string;
}

export interface AuthorizedInput {
  kind: 'authorized';
  callId: string;
  /** 0 lets the call ring; anything else refuses it with that code. */
  code: number;
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

export type TimerInput = GraceExpiredInput | RingExpiredInput | QueueTimerInput;

export type CallInput =
  | ControlInput
  | ConnectInput
  | DisconnectInput
  | GraceExpiredInput
  | RingExpiredInput
  | AuthorizedInput
  | ForceFinishInput
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
  /** For control and force-finish inputs. */
  result: ControlResult;
  /** For connect inputs: the session the user now has, and whether it was resumed. */
  session?: { sessionId: string; resumed: boolean };
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
}
