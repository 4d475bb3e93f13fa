import {
  CloseCode,
  ErrorCode,
  parseServerMessage,
  type AckMessage,
  type ContactCentreServerMessage,
  type ElsewhereMessage,
  type ErrorMessage,
  type EventMessage,
  type PresenceMessage,
  type ServerMessage,
  type SignalDeliveryMessage,
  type WakingMessage,
  type WelcomeMessage,
} from '@callgate/protocol';
import type { ReconnectPolicy } from '@callgate/protocol';
import { ReconnectingConnection, type ConnectionState } from '@callgate/protocol/connection';
import { CallgateError } from './errors.js';
import { SOCKET_OPEN, clientEndpoint, type SocketFactory, type SocketLike } from './socket.js';

export type { ConnectionState };

/** An access token, or a function that returns a fresh one for each (re)connect. */
export type TokenSource = string | (() => string | Promise<string>);

export interface ConnectionEvents {
  state: (state: ConnectionState) => void;
  /** Authenticated; `resumed` says whether the earlier session (and its call) was kept. */
  welcome: (welcome: WelcomeMessage) => void;
  /** A call event, exactly once and in order within a session. */
  event: (event: EventMessage) => void;
  ack: (id: string, ack: AckMessage) => void;
  /** The caller's callee has no device to ring yet and is being woken (numbered, like events). */
  waking: (message: WakingMessage) => void;
  /** What the user's call on another of its devices is (numbered, like events). */
  elsewhere: (message: ElsewhereMessage) => void;
  /** A numbered message was passed on: `lastSeq` moved. */
  sequenced: (seq: number) => void;
  /** A contact-centre message; the numbered ones (entry, agent) exactly once and in order, like events. */
  'contact-centre': (message: ContactCentreServerMessage) => void;
  /** The server took a refreshed token that expires at `tokenExpiresAt`. */
  refreshed: (tokenExpiresAt: number) => void;
  error: (error: ErrorMessage) => void;
  /** WebRTC signaling from the other party of a started call. */
  signal: (message: SignalDeliveryMessage) => void;
  presence: (message: PresenceMessage) => void;
  /** The connection ended for good (closed by the app, or refused by the server). */
  closed: (error: CallgateError | null) => void;
}

export interface ConnectionOptions {
  url: string;
  token: TokenSource;
  createSocket: SocketFactory;
  reconnect?: ReconnectPolicy;
  /** Which of the user's devices this is, sent in every `auth`. */
  deviceId: string;
}

/** Close codes after which reconnecting cannot help. */
const finalCloseCodes = new Set<number>([CloseCode.UNAUTHORIZED, CloseCode.REPLACED]);

/** Errors the server sends on an authenticated socket just before it closes it for good. */
const closingErrors = new Set<number>([ErrorCode.REPLACED, ErrorCode.TOKEN_EXPIRED]);

/**
 * The wire side of the SDK: authentication, resume after a drop, client heartbeats, token refresh,
 * and validated messages in.
 */
export class SignalConnection extends ReconnectingConnection<WelcomeMessage, SocketLike, CallgateError, ConnectionEvents> {
  sessionId: string | null = null;
  /** seq of the last event passed on, so a resume gets exactly the rest. */
  lastSeq = 0;
  readonly deviceId: string;
  /**
   * After a page reload: the `lastSeq` the page had. The next auth resumes with `reload: true`,
   * so the server sends the session's state (whose messages were numbered before) instead.
   */
  reloadedAt: number | null = null;
  private token: TokenSource;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly createSocket: SocketFactory;
  /** Final errors made from an `error` message, which the 'error' listeners have heard already. */
  private readonly fromWire = new WeakSet<CallgateError>();

  constructor(options: ConnectionOptions) {
    super({ endpoint: clientEndpoint(options.url), reconnect: options.reconnect, failure: CallgateError, party: 'client' });
    this.token = options.token;
    this.createSocket = options.createSocket;
    this.deviceId = options.deviceId;
  }

  /** Resumes `sessionId` after a page reload (see `reloadedAt`). */
  reload(sessionId: string, lastSeq: number): void {
    this.sessionId = sessionId;
    this.lastSeq = 0;
    this.reloadedAt = lastSeq;
  }

  /** Tells the server this device is going away (its page closes): it is not rung meanwhile. */
  leaving(): void {
    this.send({ type: 'leaving' });
  }

  /** Sends a message if authenticated; false otherwise. */
  send(message: object): boolean {
    return this.sendJson(message);
  }

  /**
   * Hands the server a fresh token for this session (the one given, or a new one from the token
   * function). A given token also replaces the old one for later reconnects.
   */
  async refresh(token?: string): Promise<number> {
    if (token !== undefined) this.token = token;
    const fresh = token ?? (await this.currentToken());
    return new Promise<number>((resolve, reject) => {
      const cleanup = (): void => {
        this.off('refreshed', onRefreshed);
        this.off('error', onError);
        this.off('closed', onClosed);
      };
      const onRefreshed = (expiresAt: number): void => {
        cleanup();
        resolve(expiresAt);
      };
      const onError = (error: ErrorMessage): void => {
        if (error.code !== ErrorCode.UNAUTHORIZED && error.code !== ErrorCode.TOKEN_EXPIRED) return;
        cleanup();
        reject(new CallgateError(error.code, error.message));
      };
      const onClosed = (): void => {
        cleanup();
        reject(new CallgateError(ErrorCode.NOT_CONNECTED));
      };
      this.on('refreshed', onRefreshed);
      this.on('error', onError);
      this.on('closed', onClosed);
      if (!this.send({ type: 'refresh', token: fresh })) onClosed();
    });
  }

  /** Leaves on purpose: the server ends this user's session at once, without a grace period. */
  close(): void {
    this.sessionId = null;
    this.lastSeq = 0;
    this.reloadedAt = null;
    this.stop(null);
  }

  private async currentToken(): Promise<string> {
    return typeof this.token === 'function' ? await this.token() : this.token;
  }

  /** With a token function, refreshes a little before the token expires. */
  private scheduleRefresh(expiresAt: number): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    if (typeof this.token !== 'function') return;
    const lifetime = expiresAt - Date.now();
    const lead = Math.min(60_000, Math.max(1000, lifetime * 0.2));
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.refresh().catch(() => {});
    }, Math.min(Math.max(0, lifetime - lead), 2 ** 31 - 1));
  }

  protected override connect(): SocketLike | null {
    let socket: SocketLike;
    try {
      socket = this.createSocket(this.endpoint);
    } catch (error) {
      this.stop(new CallgateError(ErrorCode.NOT_CONNECTED, `cannot open ${this.endpoint}: ${String(error)}`));
      return null;
    }
    socket.onopen = () => void this.authenticate(socket);
    socket.onmessage = (event) => this.receive(socket, event.data);
    socket.onclose = (event) => this.socketClosed(socket, event.code, event.reason);
    socket.onerror = () => {};
    return socket;
  }

  private async authenticate(socket: SocketLike): Promise<void> {
    let token: string;
    try {
      token = await this.currentToken();
    } catch (error) {
      this.stop(new CallgateError(ErrorCode.UNAUTHORIZED, `the token source failed: ${String(error)}`));
      return;
    }
    if (this.socket !== socket || socket.readyState !== SOCKET_OPEN) return;
    const reload = this.reloadedAt;
    const resume = this.sessionId
      ? { sessionId: this.sessionId, ...(reload === null ? { lastSeq: this.lastSeq } : { lastSeq: reload, reload: true }) }
      : undefined;
    socket.send(JSON.stringify({ type: 'auth', token, deviceId: this.deviceId, ...(resume ? { resume } : {}) }));
  }

  private receive(socket: SocketLike, data: unknown): void {
    if (!this.heard(socket)) return;
    const parsed = parseServerMessage(typeof data === 'string' ? data : String(data));
    if (!parsed.ok) return;
    this.dispatch(parsed.message);
  }

  private dispatch(message: ServerMessage): void {
    switch (message.type) {
      case 'welcome':
        this.welcomed(message);
        return;
      case 'event':
      case 'entry':
      case 'agent':
      case 'waking':
      case 'elsewhere':
        if (message.seq <= this.lastSeq) return;
        this.lastSeq = message.seq;
        if (message.type === 'event') this.emit('event', message);
        else if (message.type === 'waking') this.emit('waking', message);
        else if (message.type === 'elsewhere') this.emit('elsewhere', message);
        else this.emit('contact-centre', message);
        this.emit('sequenced', message.seq);
        return;
      case 'entry.position':
      case 'queues':
      case 'queues.list':
        this.emit('contact-centre', message);
        return;
      case 'ack':
        this.emit('ack', message.id, message);
        return;
      case 'error':
        // Kept as the reason of the close that may follow it.
        if (this.state !== 'connected' || closingErrors.has(message.code)) this.refusal = message;
        this.emit('error', message);
        return;
      case 'pong':
        return;
      case 'refreshed':
        this.scheduleRefresh(message.tokenExpiresAt);
        this.emit('refreshed', message.tokenExpiresAt);
        return;
      case 'signal':
        this.emit('signal', message);
        return;
      case 'presence':
        this.emit('presence', message);
        return;
    }
  }

  protected override welcomed(welcome: WelcomeMessage): void {
    if (!welcome.resumed) this.lastSeq = 0;
    this.reloadedAt = null;
    this.sessionId = welcome.sessionId;
    this.scheduleRefresh(welcome.tokenExpiresAt);
    super.welcomed(welcome);
  }

  /** Whether `error` (from the 'closed' event) is an `error` message the server sent, already emitted as 'error'. */
  heardOnWire(error: CallgateError): boolean {
    return this.fromWire.has(error);
  }

  /**
   * Why the connection ends for good: the server's own `error` message when it sent one; when it
   * only closed the socket, NOT_CONNECTED with the close code, and no server error is made up.
   */
  protected override finalError(code: number, reason: string, refusal: ErrorMessage | null): CallgateError | null {
    if (!finalCloseCodes.has(code) && !(code === CloseCode.TOKEN_EXPIRED && typeof this.token === 'string')) return null;
    if (refusal) return this.told(refusal);
    return new CallgateError(ErrorCode.NOT_CONNECTED, `the server closed the connection (close code ${code}${reason ? `: ${reason}` : ''})`);
  }

  protected override connectError(code: number, refusal: ErrorMessage | null): CallgateError {
    if (refusal) return this.told(refusal);
    return new CallgateError(ErrorCode.NOT_CONNECTED, `could not connect to ${this.endpoint} (close code ${code})`);
  }

  private told(message: ErrorMessage): CallgateError {
    const error = new CallgateError(message.code, message.message);
    this.fromWire.add(error);
    return error;
  }

  protected override beat(): void {
    this.send({ type: 'ping' });
  }

  protected override terminate(socket: SocketLike): void {
    const terminate = (socket as { terminate?: () => void }).terminate;
    if (terminate) terminate.call(socket);
    else socket.close(4000, 'heartbeat timeout');
  }

  protected override detach(socket: SocketLike): void {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = () => {};
  }

  protected override clearTimers(): void {
    super.clearTimers();
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
  }
}
