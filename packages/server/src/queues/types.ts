import type { AgentStatusName, EntryOutcome, Queue } from '@callgate/protocol';

/** The status an agent sets or the server moves it through (offline is "no user record"). */
export type AgentStatus = Exclude<AgentStatusName, 'offline'>;

/** An agent's side of its user record: who it serves and where it stands (docs/contact-centre.md). */
export interface AgentRecord {
  status: AgentStatus;
  /** Why it is away (e.g. "lunch", or "no-answer" after an offer timed out). */
  reason?: string;
  /** When the status last changed. */
  since: number;
  /** Since when it has had nothing to do: routing offers the longest-idle agent first. */
  idleSince: number;
  /** From the token: the queues it serves and its skills. */
  queues: string[];
  skills: string[];
  /** While in wrap-up: the call it wraps up, and when wrap-up ends by itself. */
  wrapUp?: { callId: string; entryId: string; queue: string; customer: string; until: number };
  /** The status it asked for while busy, taken once the call and its wrap-up are over. */
  next?: { status: 'available' | 'away'; reason?: string };
}

export type OfferResult = 'accepted' | 'refused' | 'no-answer' | 'gone' | 'cancelled';

/** A customer's place in a queue, from entering until the service is over; kept in the state backend. */
export interface EntryRecord {
  entryId: string;
  queue: string;
  customer: string;
  /** 0–100, higher first: from the token's claim or the business server, never the client. */
  priority: number;
  /** When the customer first entered; kept across transfers (order of service). */
  enteredAt: number;
  /** When it entered its current queue (maxWait counts from here). */
  queuedAt: number;
  state: 'waiting' | 'offered' | 'connected';
  /** The customer's device that entered: the one that takes part in its calls. */
  device: string;
  flags: number;
  param: number;
  userStr: string;
  /** Agents offered this entry in its current queue: not offered it again. */
  tried: string[];
  offers: { agent: string; at: number; callId: string; result?: OfferResult }[];
  transfers: { at: number; by: string; fromQueue: string; toQueue: string; toAgent?: string }[];
  /** The call with the agent while offered or connected. */
  callId?: string;
  agent?: string;
  /** When the current queue's agent answered. */
  answeredAt?: number;
  /** Counts the decisions that changed it, so that records keep the newest. */
  version: number;
}

/** What the contact centre's decisions read beyond the users and calls an input names. */
export interface QueueView {
  entry(entryId: string): EntryRecord | undefined;
  /** Entry ids in `queue`'s line (waiting or offered), in order of service, from `from`, at most `count`. */
  line(queue: string, from: number, count: number): readonly string[];
  lineLength(queue: string): number;
  /** Agents of `queue` that are available, connected and in no call, longest idle first. */
  available(queue: string, from: number, count: number): readonly string[];
}

/** A step of the contact centre, for records, metrics, logs and the business server. */
export type QueueTransition =
  | { type: 'entered'; entry: EntryRecord; at: number }
  | { type: 'offered'; entry: EntryRecord; at: number; agent: string; callId: string }
  | { type: 'offer-ended'; entry: EntryRecord; at: number; agent: string; result: Exclude<OfferResult, 'accepted'> }
  | { type: 'answered'; entry: EntryRecord; at: number; agent: string; callId: string }
  | { type: 'transferred'; entry: EntryRecord; at: number; by: string; fromQueue: string; toQueue: string; toAgent?: string }
  | { type: 'ended'; entry: EntryRecord; at: number; outcome: EntryOutcome }
  | { type: 'wrapped-up'; at: number; agent: string; customer: string; callId: string; entryId: string; queue: string; disposition?: string; notes?: string }
  | { type: 'agent-status'; at: number; agent: string; status: AgentStatus | 'offline'; reason?: string };

/** How decisions look queues up: the queue directory, injected into the DecisionContext. */
export type QueueLookup = (queueId: string) => Queue | undefined;

// ---- inputs ----

interface SessionInput {
  /** The user whose socket sent it. */
  from: string;
  sessionId: string;
  /** The client's id for this message, when it had one. */
  id?: string;
}

export interface EnterQueueInput extends SessionInput {
  kind: 'enter-queue';
  queue: string;
  flags: number;
  param: number;
  userStr: string;
  /** Set by the business server's entry decision; else the token's claim; else 0. */
  priority?: number;
  /** True while the server drains for shutdown: refused with SHUTTING_DOWN. */
  draining?: boolean;
}

export interface LeaveQueueInput extends SessionInput {
  kind: 'leave-queue';
}

export interface AgentStatusInput extends SessionInput {
  kind: 'agent-status';
  status: 'available' | 'away';
  reason?: string;
}

export interface NextCustomerInput extends SessionInput {
  kind: 'next-customer';
}

export interface EndWrapUpInput extends SessionInput {
  kind: 'end-wrap-up';
  disposition?: string;
  notes?: string;
}

export interface TransferInput extends SessionInput {
  kind: 'transfer';
  queue?: string;
  agent?: string;
}

export interface WaitExpiredInput {
  kind: 'wait-expired';
  entryId: string;
}

export interface WrapUpExpiredInput {
  kind: 'wrap-up-expired';
  userId: string;
  callId: string;
}

/** The queue was deleted (or the server shuts down): its waiting entries end as `closed`, a chunk at a time. */
export interface QueueClosedInput {
  kind: 'queue-closed';
  queue: string;
}

/** Routes `queue` again (a definition changed, or a customer came back). */
export interface RouteQueueInput {
  kind: 'route-queue';
  queue: string;
}

export type QueueInput =
  | EnterQueueInput
  | LeaveQueueInput
  | AgentStatusInput
  | NextCustomerInput
  | EndWrapUpInput
  | TransferInput
  | WaitExpiredInput
  | WrapUpExpiredInput
  | QueueClosedInput
  | RouteQueueInput;

export type QueueTimerInput = WaitExpiredInput | WrapUpExpiredInput;
