import { EventEmitter } from 'eventemitter3';
import {
  ErrorCode,
  VideoCallEvent,
  controlMessageSchema,
  type AgentState,
  type ErrorMessage,
  type EventMessage,
  type PresenceEntry,
  type VideoCallEventType,
  type WelcomeMessage,
} from '@callgate/protocol';
import type { ReconnectPolicy } from '@callgate/protocol';
import { Call, type CallOptions } from './call.js';
import { SignalConnection, type ConnectionState, type TokenSource } from './connection.js';
import { CallgateError, notConnected } from './errors.js';
import { instancePrefix } from './centre-requests.js';
import type { SocketFactory } from './socket.js';
import { CallMedia } from './media/call-media.js';
import type { MediaOptions } from './media/platform.js';
import type { MediaSession } from './media/media-session.js';
import { PresenceWatch, type PresenceFilter } from './presence-watch.js';
import { ContactCentre, type CallRating, type QueueChoice } from './contact-centre.js';
import type { AgentStatusSetting, WrapUpOptions } from './agent-desk.js';
import type { EnterQueueOptions, EntrySnapshot, QueueEntry } from './queue-entry.js';
import type { QueueBoard } from './queue-board.js';

/** A session to continue, e.g. after a page reload: what `client.session` gave before. */
export interface SavedSession {
  sessionId: string;
  lastSeq: number;
  /** The customer's queue entry at that moment, followed again once resumed. */
  entry?: EntrySnapshot;
}

/** The seed SDK's callback: `userId` is always the other party. */
export type VideoCallEventCallback = (
  eventType: VideoCallEventType,
  userId: string,
  errorCode: number,
  flags: number,
  param: number,
  userStr: string,
) => void;

export interface CallClientOptions {
  /** The server's base URL, e.g. ws://127.0.0.1:8080. */
  url: string;
  /** An access token, or a function returning a fresh one for each (re)connect. */
  token: TokenSource;
  /** Opens WebSockets; the platform's default when omitted. */
  createSocket?: SocketFactory;
  reconnect?: ReconnectPolicy;
  /**
   * Audio and video for started calls: on by default in browsers; `false` turns it off (e.g. for
   * bots); in Node, pass `{ platform }` with a WebRTC implementation to turn it on.
   */
  media?: false | MediaOptions;
  /**
   * Continue this session (saved from `client.session`, e.g. in sessionStorage before a page
   * reload) within the grace period: the entry in a queue is kept, and what was missed arrives.
   */
  resume?: SavedSession;
}

export interface CallClientEvents {
  /** A REQUEST arrived: the returned Call rings until accepted, rejected, cancelled or timed out. */
  incoming: (call: Call) => void;
  /** The server refused a control (e.g. NOTINCALL), or the connection failed. */
  error: (error: CallgateError) => void;
  'connection-state': (state: ConnectionState) => void;
  /** Every call event, as received (after the seed callback). */
  event: (event: EventMessage) => void;
  /** The watched users' presence changed (see `watchPresence`). */
  presence: (users: ReadonlyMap<string, PresenceEntry>) => void;
  /** A started call's media began (before the call's `started`); it emits `media-state`. */
  media: (session: MediaSession) => void;
  /** An agent's status changed (available, offered, talking, wrap-up, away, offline). */
  'agent-status': (state: AgentState) => void;
}

interface PendingControl {
  message: object;
  resolve: () => void;
  reject: (error: CallgateError) => void;
}

/**
 * A user's connection to Callgate: the seed-compatible API (`setVideoCallEventCallback`,
 * `videoCallControl`) and the idiomatic one (`call`, `incoming`, `Call`), over one connection.
 */
export class CallClient extends EventEmitter<CallClientEvents> {
  private readonly connection: SignalConnection;
  private callback: VideoCallEventCallback | null = null;
  private readonly pending = new Map<string, PendingControl>();
  private readonly calls = new Map<string, Call[]>();
  /** Outgoing calls whose REQUEST has no answer yet, so no call id. */
  private unbound: Call[] = [];
  private nextControlId = 1;
  /**
   * Control ids are applied once per session by the server, so a client that resumes another
   * instance's session (a reloaded page) must not reuse that instance's ids: each instance has its own prefix.
   */
  private readonly controlPrefix = instancePrefix();
  private hadSession = false;
  private readonly media: CallMedia | null;
  private readonly presenceWatch: PresenceWatch;
  private readonly centre: ContactCentre;

  constructor(options: CallClientOptions & { createSocket: SocketFactory }) {
    super();
    this.connection = new SignalConnection({
      url: options.url,
      token: options.token,
      createSocket: options.createSocket,
      ...(options.reconnect ? { reconnect: options.reconnect } : {}),
    });
    this.connection.on('state', (state) => this.emit('connection-state', state));
    this.connection.on('welcome', (welcome) => this.welcomed(welcome));
    this.connection.on('event', (event) => this.received(event));
    this.connection.on('ack', (id) => this.settle(id, null));
    this.connection.on('error', (message) => this.serverError(message));
    this.connection.on('closed', (error) => this.connectionClosed(error));
    this.media = CallMedia.over(this.connection, options.media, (session) => this.invoke(() => this.emit('media', session)));
    this.presenceWatch = new PresenceWatch(this.connection, (users) => this.invoke(() => this.emit('presence', users)));
    this.centre = new ContactCentre(this.connection, {
      sendControl: this.sendControl,
      invoke: (fn) => this.invoke(fn),
      agentStatus: (state) => this.invoke(() => this.emit('agent-status', state)),
    });
    if (options.resume) {
      this.connection.sessionId = options.resume.sessionId;
      this.connection.lastSeq = options.resume.lastSeq;
      this.hadSession = true;
      this.centre.restore(options.resume.entry);
    }
  }

  /** This session, to continue it with the `resume` option (e.g. after a page reload); null before the first connect. */
  get session(): SavedSession | null {
    const { sessionId, lastSeq } = this.connection;
    if (sessionId === null) return null;
    const entry = this.centre.currentEntry;
    return { sessionId, lastSeq, ...(entry ? { entry: entry.snapshot } : {}) };
  }

  /** The media of the started call, if any (null when media is off). */
  get currentMedia(): MediaSession | null {
    return this.media?.current ?? null;
  }

  /** Watches who is online and free: the users of a role and/or named users; null stops. */
  watchPresence(filter: PresenceFilter | null): void {
    this.presenceWatch.watch(filter);
  }

  /** The watched users, as the server last reported them. */
  get presence(): ReadonlyMap<string, PresenceEntry> {
    return this.presenceWatch.users;
  }

  /** The authenticated user's id; empty before the first connect. */
  get userId(): string {
    return this.connection.welcome?.userId ?? '';
  }

  get connectionState(): ConnectionState {
    return this.connection.state;
  }

  /** What the server said when this connection authenticated (ICE servers, heartbeat, grace). */
  get welcome(): WelcomeMessage | null {
    return this.connection.welcome;
  }

  /** The live call, if any. */
  get currentCall(): Call | null {
    for (const calls of this.calls.values()) for (const call of calls) if (call.isLive) return call;
    return this.unbound.find((call) => call.isLive) ?? null;
  }

  /** Connects and authenticates; rejects with a CallgateError (code UNAUTHORIZED, TOKEN_EXPIRED…). */
  async connect(): Promise<void> {
    await this.connection.open();
  }

  /**
   * Gives the server a fresh access token without dropping the connection or the call: the one
   * passed (which also serves later reconnects), or a new one from the token function. With a
   * token function the SDK does this by itself shortly before each token expires.
   */
  async refreshToken(token?: string): Promise<void> {
    await this.connection.refresh(token);
  }

  /** Leaves: the server ends this user's session (and call) at once. */
  close(): void {
    this.connection.close();
  }

  // ---- the seed SDK's API ----

  setVideoCallEventCallback(callback: VideoCallEventCallback | null): void {
    this.callback = callback;
  }

  /**
   * Sends REQUEST, REPLY or FINISH about `userId`. Returns 0 when sent, or at once a non-zero
   * code when it cannot be (NOT_CONNECTED, MALFORMED, INVALID_EVENT). What the server answers
   * arrives through the callback, and refusals of the control itself through the `error` event.
   */
  videoCallControl(
    eventType: VideoCallEventType,
    userId: string | number,
    errorCode = 0,
    flags = 0,
    param = 0,
    userStr = '',
  ): number {
    const sent = this.control(eventType, userId, errorCode, { flags, param, userStr });
    sent.done.catch(() => {});
    return sent.code;
  }

  // ---- the contact centre (docs/contact-centre.md) ----

  /** A customer enters a queue; rejects with a CallgateError (QUEUE_NOT_FOUND, QUEUE_FULL, ALREADY_QUEUED, INCHAT…). */
  enterQueue(queue: string, options?: EnterQueueOptions): Promise<QueueEntry> {
    return this.centre.enterQueue(queue, options);
  }

  /** The customer's queue entry while it lasts (waiting, offered or in its call). */
  get currentEntry(): QueueEntry | null {
    return this.centre.currentEntry;
  }

  /** The customer rates a served queue call, once, within 10 minutes (RATING_NOT_ALLOWED, ALREADY_RATED, RATING_CLOSED). */
  rateCall(callId: string, rating: CallRating): Promise<void> {
    return this.centre.rateCall(callId, rating);
  }

  /** The queues a customer may choose from. */
  listQueues(): Promise<QueueChoice[]> {
    return this.centre.listQueues();
  }

  /** An agent sets itself available, or away with a reason (FORBIDDEN for other roles). */
  setAgentStatus(status: AgentStatusSetting, options?: { reason?: string }): Promise<void> {
    return this.centre.setAgentStatus(status, options);
  }

  /** The agent's status as the server last said (null for users who are not agents). */
  get agentStatus(): AgentState | null {
    return this.centre.desk.status;
  }

  /** Manual mode: the agent takes the next customer of its queues at once; null when nobody waits. */
  nextCustomer(): Promise<Call | null> {
    return this.centre.nextCustomer(() => this.currentCall);
  }

  /** The agent ends its wrap-up, with a disposition code and notes kept in the call's record. */
  endWrapUp(options?: WrapUpOptions): Promise<void> {
    return this.centre.endWrapUp(options);
  }

  /** A supervisor watches the queues and agents live (the board's `ready` rejects with FORBIDDEN for other roles). */
  watchQueues(): QueueBoard {
    return this.centre.watchQueues();
  }

  // ---- the idiomatic API ----

  /** Calls `userId`. The Call emits `ringing`, `started` and `ended`. */
  call(userId: string | number, options: CallOptions = {}): Call {
    const peer = String(userId);
    const ringingFromPeer = this.currentCall;
    if (ringingFromPeer?.direction === 'incoming' && ringingFromPeer.state === 'ringing' && ringingFromPeer.peer === peer) {
      // Calling back someone who is calling us is saying yes (glare): the server starts that call.
      void this.control(VideoCallEvent.REQUEST, peer, 0, options).done.catch(() => {});
      return ringingFromPeer;
    }
    const sent = this.control(VideoCallEvent.REQUEST, userId, 0, options);
    const call = sent.call ?? new Call(this.sendControl, peer, 'outgoing', { callId: null, flags: 0, param: 0, userStr: '' });
    if (sent.code !== 0) call.end(sent.code);
    sent.done.catch(() => {});
    return call;
  }

  private readonly sendControl = (event: 2 | 4, peer: string, errorCode: number, options: CallOptions): Promise<void> =>
    this.control(event, peer, errorCode, options).done;

  private control(
    event: VideoCallEventType,
    userId: string | number,
    errorCode: number,
    options: CallOptions,
  ): { code: number; done: Promise<void>; call?: Call } {
    if (event === VideoCallEvent.START) return this.refused(ErrorCode.INVALID_EVENT);
    const id = `c${this.controlPrefix}.${this.nextControlId++}`;
    const parsed = controlMessageSchema.safeParse({
      type: 'control',
      id,
      event,
      userId,
      errorCode,
      flags: options.flags ?? 0,
      param: options.param ?? 0,
      userStr: options.userStr ?? '',
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.refused(ErrorCode.MALFORMED, issue ? `${issue.path.join('.')}: ${issue.message}` : undefined);
    }
    const message = parsed.data;
    if (!this.connection.send(message)) return this.refused(ErrorCode.NOT_CONNECTED);
    const done = new Promise<void>((resolve, reject) => this.pending.set(id, { message, resolve, reject }));
    if (event !== VideoCallEvent.REQUEST) return { code: 0, done };
    const call = new Call(this.sendControl, message.userId, 'outgoing', {
      callId: null,
      flags: message.flags,
      param: message.param,
      userStr: message.userStr,
    });
    this.unbound.push(call);
    done.catch((error: CallgateError) => {
      this.unbound = this.unbound.filter((c) => c !== call);
      call.end(error.code);
    });
    return { code: 0, done, call };
  }

  private refused(code: number, message?: string): { code: number; done: Promise<void> } {
    return { code, done: Promise.reject(new CallgateError(code, message)) };
  }

  private received(event: EventMessage): void {
    this.invoke(() =>
      this.callback?.(event.event, event.userId, event.errorCode, event.flags, event.param, event.userStr),
    );
    let calls = this.calls.get(event.callId);
    let incoming: Call | undefined;
    if (!calls) {
      if (event.event === VideoCallEvent.REQUEST) {
        incoming = new Call(this.sendControl, event.userId, 'incoming', event, this.centre.transfers);
        calls = [incoming];
      } else {
        calls = this.bindUnbound(event);
        if (calls.length === 0) calls = this.centre.callsFor(event);
      }
      if (calls.some((call) => call.isLive)) this.track(event.callId, calls);
    }
    this.media?.follow(event, calls);
    for (const call of calls) call.apply(event);
    if (incoming) this.invoke(() => this.emit('incoming', incoming));
    this.invoke(() => this.emit('event', event));
  }

  /**
   * Keeps `calls` under their call id while they are live: each leaves when it ends, however it
   * ends (by a server event, or locally, as a rejected call does, of which the server says nothing).
   */
  private track(callId: string, calls: Call[]): void {
    this.calls.set(callId, calls);
    for (const call of calls) call.once('ended', () => this.untrack(callId));
  }

  private untrack(callId: string): void {
    const live = this.calls.get(callId)?.filter((call) => call.isLive);
    if (live?.length) this.calls.set(callId, live);
    else this.calls.delete(callId);
  }

  /** The outgoing calls an event with a new call id answers: the first to its peer (all of them for START). */
  private bindUnbound(event: EventMessage): Call[] {
    const toPeer = this.unbound.filter((call) => call.peer === event.userId);
    const bound = event.event === VideoCallEvent.START ? toPeer : toPeer.slice(0, 1);
    this.unbound = this.unbound.filter((call) => !bound.includes(call));
    for (const call of bound) call.callId = event.callId;
    return bound;
  }

  private welcomed(welcome: WelcomeMessage): void {
    if (welcome.resumed) {
      // Controls sent just before the drop may not have arrived; the server applies each id once.
      for (const { message } of this.pending.values()) this.connection.send(message);
    } else if (this.hadSession) {
      for (const id of [...this.pending.keys()]) this.settle(id, new CallgateError(ErrorCode.DISCONNECT));
      this.endEverything(ErrorCode.DISCONNECT, true);
    }
    this.hadSession = true;
  }

  /** Ends every live call locally, e.g. when the session could not be resumed. */
  private endEverything(code: number, tellCallback: boolean): void {
    const live = [...[...this.calls.values()].flat(), ...this.unbound].filter((call) => call.isLive);
    this.calls.clear();
    this.unbound = [];
    this.media?.stopAll();
    const told = new Set<string>();
    for (const call of live) {
      if (tellCallback && !told.has(call.peer)) {
        told.add(call.peer);
        this.invoke(() => this.callback?.(VideoCallEvent.FINISH, call.peer, code, 0, 0, ''));
      }
      call.end(code);
    }
  }

  private settle(id: string, error: CallgateError | null): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (error) pending.reject(error);
    else pending.resolve();
  }

  private serverError(message: ErrorMessage): void {
    const error = new CallgateError(message.code, message.message);
    if (message.ref !== undefined) this.settle(message.ref, error);
    this.invoke(() => this.emit('error', error));
  }

  private connectionClosed(error: CallgateError | null): void {
    for (const id of [...this.pending.keys()]) this.settle(id, error ?? notConnected());
    this.endEverything(ErrorCode.DISCONNECT, error !== null);
    this.hadSession = false;
    // An error the server sent was emitted when it came; only the client's own reasons are new here.
    if (error && !this.connection.heardOnWire(error)) this.invoke(() => this.emit('error', error));
  }

  /** Runs application code; its exceptions surface asynchronously instead of breaking the SDK. */
  private invoke(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
