import { messageIds } from './message-ids.js';
import { EventEmitter } from 'eventemitter3';
import {
  ErrorCode,
  VideoCallEvent,
  controlMessageSchema,
  type AgentState,
  type ErrorMessage,
  type ElsewhereMessage,
  type EventMessage,
  type PresenceEntry,
  type VideoCallEventType,
  type WakingMessage,
  type WelcomeMessage,
} from '@callgate/protocol';
import type { ReconnectPolicy } from '@callgate/protocol';
import { Call, type CallDirection, type CallOptions } from './call.js';
import { CallsElsewhere, type CallElsewhere } from './call-elsewhere.js';
import type { DevicePlatform } from './device-memory.js';
import { DeviceSession, detachedDevice, deviceIdFor } from './device-session.js';
import { SignalConnection, type ConnectionState, type TokenSource } from './connection.js';
import { CallgateError, notConnected } from './errors.js';
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
   * Continue this session (saved from `client.session`) within the grace period: the entry in a
   * queue is kept, and what was missed arrives. Browsers do this by themselves after a reload.
   */
  resume?: SavedSession;
  /**
   * Which of the user's devices this client is (1–64 characters of A-Z a-z 0-9 _ . @ -): an app
   * install's own id, say. Without one the SDK keeps one itself: per tab in browsers (in
   * sessionStorage, so that a reload is the same device), per process in Node.
   */
  deviceId?: string;
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
  /** The user's call on another of its devices began or changed; null once there is none (it ended, or moved here). */
  elsewhere: (call: CallElsewhere | null) => void;
  /**
   * A call of this device that the page did not make itself came back: an outgoing call after a
   * page reload (incoming ones ring again through `incoming`), or a call moved here. Its
   * `ringing`, `started` and `media-state` follow.
   */
  resumed: (call: Call) => void;
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
  private readonly nextControlId = messageIds('c');
  private hadSession = false;
  private readonly media: CallMedia | null;
  private readonly presenceWatch: PresenceWatch;
  private readonly centre: ContactCentre;
  private readonly device: DeviceSession;
  private readonly elsewhere: CallsElsewhere;
  /** `moveCallHere` calls waiting for their call's START. */
  private moves: { resolve: (call: Call) => void; reject: (error: CallgateError) => void }[] = [];

  /** Throws a CallgateError (MALFORMED) for a `deviceId` the server would refuse. */
  constructor(options: CallClientOptions & { createSocket: SocketFactory; device?: DevicePlatform }) {
    super();
    const platform = options.device ?? detachedDevice;
    this.connection = new SignalConnection({
      url: options.url,
      token: options.token,
      createSocket: options.createSocket,
      deviceId: deviceIdFor(options.deviceId, platform),
      ...(options.reconnect ? { reconnect: options.reconnect } : {}),
    });
    this.connection.on('state', (state) => this.emit('connection-state', state));
    this.connection.on('welcome', (welcome) => this.welcomed(welcome));
    this.connection.on('event', (event) => this.received(event));
    this.connection.on('waking', (message) => this.waking(message));
    this.connection.on('elsewhere', (message) => this.elsewhere.apply(message));
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
    this.elsewhere = new CallsElsewhere(
      () => this.moveCallHere(),
      (call) => this.invoke(() => this.emit('elsewhere', call)),
    );
    this.device = new DeviceSession(this.connection, platform, options.url, () => this.session);
    const saved = options.resume ?? this.device.restore();
    if (options.resume) {
      this.connection.sessionId = options.resume.sessionId;
      this.connection.lastSeq = options.resume.lastSeq;
    }
    if (saved) {
      this.hadSession = true;
      this.centre.restore(saved.entry);
    }
  }

  /** Which of the user's devices this client is (sent in every auth). */
  get deviceId(): string {
    return this.connection.deviceId;
  }

  /** The user's call on another of its devices, while there is one (see the `elsewhere` event). */
  get callElsewhere(): CallElsewhere | null {
    return this.elsewhere.current;
  }

  /**
   * Moves the user's started call from its other device to this one (see `CallElsewhere.moveHere`):
   * resolves with the Call here once started; rejects with a CallgateError, NOTINCALL when the
   * user has no started call to move.
   */
  async moveCallHere(): Promise<Call> {
    const waiter = { resolve: (_call: Call) => {}, reject: (_error: CallgateError) => {} };
    const arrived = new Promise<Call>((resolve, reject) => Object.assign(waiter, { resolve, reject }));
    this.moves.push(waiter);
    try {
      await this.centre.requests.send({ type: 'call.move' });
    } catch (error) {
      this.moves = this.moves.filter((w) => w !== waiter);
      throw error;
    }
    const here = this.currentCall;
    if (here?.state === 'talking') {
      // Its START came first (or the call was here already).
      this.moves = this.moves.filter((w) => w !== waiter);
      return here;
    }
    return arrived;
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

  /** Leaves: the server ends this device's session (and its call) at once. */
  close(): void {
    this.device.close();
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
    const id = this.nextControlId();
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
    const replayed = this.device.replayed(event.seq);
    let calls = this.calls.get(event.callId);
    let incoming: Call | undefined;
    let adopted: Call | null = null;
    if (!calls) {
      if (event.event === VideoCallEvent.REQUEST) {
        incoming = new Call(this.sendControl, event.userId, 'incoming', event, this.centre.transfers);
        calls = [incoming];
      } else {
        calls = this.bindUnbound(event);
        if (calls.length === 0 && (adopted = this.adopt(event, replayed))) calls = [adopted];
        if (calls.length === 0) calls = this.centre.callsFor(event);
      }
      if (calls.some((call) => call.isLive)) this.track(event.callId, calls);
    }
    this.media?.follow(event, calls, replayed);
    for (const call of calls) call.apply(event);
    if (incoming) this.invoke(() => this.emit('incoming', incoming));
    if (adopted?.state === 'talking' && !replayed) for (const move of this.moves.splice(0)) move.resolve(adopted);
    this.invoke(() => this.emit('event', event));
  }

  /**
   * A Call for an event of a call this page did not make: a START that brings the user's call
   * from another device here (moved, also heard again after a reload), or the caller's own
   * outgoing call heard again after a reload (REPLY 0). Announced with `resumed`, unless a
   * `moveCallHere` waits for it.
   */
  private adopt(event: Pick<EventMessage, 'callId' | 'event' | 'errorCode' | 'userId' | 'flags' | 'param' | 'userStr' | 'queue'>, replayed: boolean): Call | null {
    const fromElsewhere = event.event === VideoCallEvent.START ? this.elsewhere.arrived(event.callId) : null;
    const direction: CallDirection | null =
      fromElsewhere?.direction ?? (event.event === VideoCallEvent.REPLY && event.errorCode === 0 && replayed ? 'outgoing' : null);
    if (!direction) return null;
    const call = new Call(this.sendControl, event.userId, direction, event, direction === 'incoming' ? this.centre.transfers : undefined);
    if (replayed || this.moves.length === 0) this.invoke(() => this.emit('resumed', call));
    return call;
  }

  /** The callee of an outgoing call has no device to ring yet and is being woken (the seed callback hears nothing of it). */
  private waking(message: WakingMessage): void {
    let call = this.calls.get(message.callId)?.[0];
    if (!call) {
      const event = { callId: message.callId, userId: message.userId, event: VideoCallEvent.REPLY, errorCode: 0, flags: 0, param: 0, userStr: '' };
      call = this.bindUnbound(event)[0] ?? (this.device.replayed(message.seq) ? this.adopt(event, true) : null) ?? undefined;
      if (!call) return;
      this.track(message.callId, [call]);
    }
    call.wake({ pushed: message.pushed, until: message.until });
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
  private bindUnbound(event: Pick<EventMessage, 'callId' | 'event' | 'userId'>): Call[] {
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
    if (!welcome.resumed) this.forgetDevices(new CallgateError(ErrorCode.DISCONNECT));
    this.hadSession = true;
  }

  /** A new session or none: no call is elsewhere until the server says so, and no move can arrive. */
  private forgetDevices(error: CallgateError): void {
    this.elsewhere.forget();
    for (const move of this.moves.splice(0)) move.reject(error);
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
    this.forgetDevices(error ?? notConnected());
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
