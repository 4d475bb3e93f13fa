import type { PresenceEntry, SequencedMessage, SignalDeliveryMessage } from '@callgate/protocol';
import type { CallInput, CallRecord, Decision, DisconnectInput, Kick, Snapshot, TimerInput, UserRecord } from '../calls/types.js';
import type { EntryRecord } from '../queues/types.js';
import { present } from '../calls/devices.js';
import type { QueueChanges } from './queue-indexes.js';

/** Thrown by `transact` when the decision cannot be committed, e.g. the store is unreachable. */
export class StateUnavailableError extends Error {
  override readonly name = 'StateUnavailableError';
}

/** What a node must do for the users whose sockets it holds, told by the backend after commits on any node. */
export interface DeliveryListeners {
  /**
   * New events wait in the outbox of `userId`'s device `deviceId`: `messages`, the ones the commit
   * appended there, in order of seq (a socket that has sent everything before the first sends them
   * as they are, without reading the outbox back; docs/architecture.md, "Delivery").
   */
  events(userId: string, deviceId: string, messages: readonly SequencedMessage[]): void;
  /** A socket held by this node must be closed. */
  kick(kick: Kick): void;
  /** The store is reachable again after an outage. */
  restored?(): void;
  /** These users' presence may have changed (by a decision on any node). */
  presence?(userIds: string[]): void;
  /** A WebRTC signal for a device whose socket this node holds. */
  signal?(userId: string, deviceId: string, message: SignalDeliveryMessage): void;
  /** These queues' lines or agents, and these agents, changed (by a decision on any node). */
  queues?(changes: QueueChanges): void;
}

/** A queue's line as read for positions and figures: entry ids in order of service, with their scores. */
export type LineRead = readonly { id: string; score: number }[];

/** An input the store produced: a timer set by an earlier decision is due, or a dead node's user dropped. */
export type InputListener = (input: TimerInput | DisconnectInput) => void;

/**
 * Where call and presence state lives. A transaction reads the users and calls an input names
 * (and the calls they are in, and those calls' parties), lets `decide` run on that snapshot, and
 * commits the decision (records, outbox events, timers) as one step: decisions about the same
 * users never interleave. `decide` may run more than once when a commit conflicts.
 */
export interface StateBackend {
  readonly node: string;
  /** True when other nodes share this state and can take over this node's users (cluster mode). */
  readonly shared: boolean;
  /** Who delivers to this node's sockets (the client gateway). */
  listen(listeners: DeliveryListeners): void;
  /** Who decides the inputs the store produces (the switchboard). */
  onInput(listener: InputListener): void;
  transact(input: CallInput, decide: (snapshot: Snapshot) => Decision): Promise<Decision>;
  /**
   * The messages of the session `sessionId` of `userId`'s device `deviceId` after `afterSeq`, in
   * order; undefined when that session is gone or its outbox no longer holds every message after
   * `afterSeq` (with `kept`: what it holds, for a page that reloaded).
   */
  eventsAfter(userId: string, deviceId: string, sessionId: string, afterSeq: number, kept?: boolean): Promise<SequencedMessage[] | undefined>;
  /** A user's record and the call it is in, read without a transaction (for queries, not decisions). */
  inspect(userId: string): Promise<{ user?: UserRecord; call?: CallRecord }>;
  /** These users' records, in order (undefined: offline), read in one step without a transaction. */
  userRecords(userIds: readonly string[]): Promise<(UserRecord | undefined)[]>;
  /** Every live call. */
  liveCalls(): Promise<CallRecord[]>;
  /** These users' presence: offline when unknown, else idle or busy, with the role of their token. */
  presence(userIds: readonly string[]): Promise<PresenceEntry[]>;
  /** Everyone online whose token has `role`. */
  presenceByRole(role: string): Promise<PresenceEntry[]>;
  /** These entries (undefined: gone), read without a transaction. */
  entries(entryIds: readonly string[]): Promise<(EntryRecord | undefined)[]>;
  /** Every entry of every queue. */
  liveEntries(): Promise<EntryRecord[]>;
  /** `queue`'s line, whole, in order of service. */
  line(queue: string): Promise<LineRead>;
  /** The online agents serving `queue`. */
  queueAgents(queue: string): Promise<UserRecord[]>;
  /** Hands a signal to the socket of `userId`'s device on `node`, wherever that is. */
  sendSignal(userId: string, deviceId: string, node: string, message: SignalDeliveryMessage): Promise<void>;
  /** Whether the store can be used now (for /readyz). */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** What presence a user record stands for (undefined: offline). */
export function presenceEntry(userId: string, user: UserRecord | undefined): PresenceEntry {
  if (!user || user.devices.length === 0) return { userId, status: 'offline' };
  // Busy while in a call, whatever its devices; otherwise online only with a device that can ring.
  const status = user.callId ? 'busy' : present(user) ? 'idle' : 'offline';
  return { userId, status, ...(user.role ? { role: user.role } : {}) };
}

/** The users whose presence (status or role) `decision` changes; `before` gives their records as read. */
export function presenceChanges(decision: Decision, before: (userId: string) => UserRecord | undefined): string[] {
  const changed: string[] = [];
  for (const [userId, user] of decision.users) {
    const was = presenceEntry(userId, before(userId));
    const is = presenceEntry(userId, user ?? undefined);
    if (was.status !== is.status || was.role !== is.role) changed.push(userId);
  }
  return changed;
}
