import { EventEmitter } from 'eventemitter3';
import {
  CloseCode,
  ErrorCode,
  parseServerMessage,
  type ErrorMessage,
  type EventMessage,
  type PresenceMessage,
  type ServerMessage,
  type SignalDeliveryMessage,
  type WelcomeMessage,
} from '@callgate/protocol';
import { defaultReconnectPolicy, reconnectDelay, type ReconnectPolicy } from './backoff.js';
import { CallgateError } from './errors.js';
import { SOCKET_OPEN, clientEndpoint, type SocketFactory, type SocketLike } from './socket.js';

export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting';

/** An access token, or a function that returns a fresh one for each (re)connect. */
export type TokenSource = string | (() => string | Promise<string>);

export interface ConnectionEvents {
  state: (state: ConnectionState) => void;
  /** Authenticated; `resumed` says whether the earlier session (and its call) was kept. */
  welcome: (welcome: WelcomeMessage) => void;
  /** A call event, exactly once and in order within a session. */
  event: (event: EventMessage) => void;
  ack: (id: string) => void;
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
}

/** Close codes after which reconnecting cannot help. */
const finalCloseCodes = new Set<number>([CloseCode.UNAUTHORIZED, CloseCode.REPLACED]);

/**
 * The wire side of the SDK: one WebSocket at a time, authentication, resume after a drop with
 * backoff and jitter, client heartbeats, and validated messages in.
 */
export class SignalConnection extends EventEmitter<ConnectionEvents> {
  state: ConnectionState = 'disconnected';
  sessionId: string | null = null;
  /** seq of the last event passed on, so a resume gets exactly the rest. */
  lastSeq = 0;
  welcome: WelcomeMessage | null = null;
  private socket: SocketLike | null = null;
  private wanted = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  /** An error the server sent before closing a socket that never authenticated. */
  private authError: ErrorMessage | null = null;
  private token: TokenSource;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly endpoint: string;
  private readonly policy: ReconnectPolicy;

  constructor(private readonly options: ConnectionOptions) {
    super();
    this.endpoint = clientEndpoint(options.url);
    this.token = options.token;
    this.policy = options.reconnect ?? defaultReconnectPolicy;
  }

  /** Connects and authenticates; rejects with a CallgateError when the server refuses. */
  open(): Promise<WelcomeMessage> {
    if (this.state === 'connected' && this.welcome) return Promise.resolve(this.welcome);
    this.wanted = true;
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        this.off('welcome', onWelcome);
        this.off('closed', onClosed);
      };
      const onWelcome = (welcome: WelcomeMessage): void => {
        cleanup();
        resolve(welcome);
      };
      const onClosed = (error: CallgateError | null): void => {
        cleanup();
        reject(error ?? new CallgateError(ErrorCode.NOT_CONNECTED, 'closed before connecting'));
      };
      this.on('welcome', onWelcome);
      this.on('closed', onClosed);
      if (this.state === 'disconnected') this.dial('connecting');
    });
  }

  /** Sends a message if authenticated; false otherwise. */
  send(message: object): boolean {
    if (this.state !== 'connected' || !this.socket || this.socket.readyState !== SOCKET_OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
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

  /** Leaves on purpose: the server ends this user's session at once, without a grace period. */
  close(): void {
    this.wanted = false;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      this.detach(socket);
      socket.close(CloseCode.NORMAL, 'client closed');
    }
    this.sessionId = null;
    this.lastSeq = 0;
    this.setState('disconnected');
    this.emit('closed', null);
  }

  /** Drops the current socket as a network failure would, and reconnects. */
  private abandon(): void {
    const socket = this.socket;
    if (!socket) return;
    this.detach(socket);
    this.socket = null;
    const terminate = (socket as { terminate?: () => void }).terminate;
    if (terminate) terminate.call(socket);
    else socket.close(4000, 'heartbeat timeout');
    this.lost(1006);
  }

  private dial(state: 'connecting' | 'reconnecting'): void {
    this.setState(state);
    let socket: SocketLike;
    try {
      socket = this.options.createSocket(this.endpoint);
    } catch (error) {
      this.fail(new CallgateError(ErrorCode.NOT_CONNECTED, `cannot open ${this.endpoint}: ${String(error)}`));
      return;
    }
    this.socket = socket;
    socket.onopen = () => void this.authenticate(socket);
    socket.onmessage = (event) => this.receive(socket, event.data);
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.lost(event.code, event.reason);
    };
    socket.onerror = () => {};
  }

  private async authenticate(socket: SocketLike): Promise<void> {
    let token: string;
    try {
      token = await this.currentToken();
    } catch (error) {
      this.fail(new CallgateError(ErrorCode.UNAUTHORIZED, `the token source failed: ${String(error)}`));
      return;
    }
    if (this.socket !== socket || socket.readyState !== SOCKET_OPEN) return;
    const resume = this.sessionId ? { sessionId: this.sessionId, lastSeq: this.lastSeq } : undefined;
    socket.send(JSON.stringify({ type: 'auth', token, ...(resume ? { resume } : {}) }));
  }

  private receive(socket: SocketLike, data: unknown): void {
    if (this.socket !== socket) return;
    this.lastHeard = Date.now();
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
        if (message.seq <= this.lastSeq) return;
        this.lastSeq = message.seq;
        this.emit('event', message);
        return;
      case 'ack':
        this.emit('ack', message.id);
        return;
      case 'error':
        if (this.state !== 'connected') this.authError = message;
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

  private welcomed(welcome: WelcomeMessage): void {
    if (!welcome.resumed) this.lastSeq = 0;
    this.sessionId = welcome.sessionId;
    this.welcome = welcome;
    this.attempt = 0;
    this.authError = null;
    this.startHeartbeat(welcome.heartbeat.intervalMs, welcome.heartbeat.timeoutMs);
    this.scheduleRefresh(welcome.tokenExpiresAt);
    this.setState('connected');
    this.emit('welcome', welcome);
  }

  private lost(code: number, reason = ''): void {
    this.stopHeartbeat();
    if (!this.wanted) return;
    const refusal = this.authError;
    this.authError = null;
    if (finalCloseCodes.has(code) || (code === CloseCode.TOKEN_EXPIRED && typeof this.token === 'string')) {
      const errorCode = refusal?.code ?? (code === CloseCode.REPLACED ? ErrorCode.REPLACED : ErrorCode.UNAUTHORIZED);
      this.fail(new CallgateError(errorCode, refusal?.message ?? (reason || undefined)));
      return;
    }
    if (this.state === 'connecting') {
      const why = refusal ?? { code: ErrorCode.NOT_CONNECTED, message: `could not connect to ${this.endpoint} (close code ${code})` };
      this.fail(new CallgateError(why.code, why.message));
      return;
    }
    this.setState('reconnecting');
    const delay = reconnectDelay(this.policy, this.attempt++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.wanted) this.dial('reconnecting');
    }, delay);
  }

  private fail(error: CallgateError): void {
    this.wanted = false;
    this.clearTimers();
    if (this.socket) {
      this.detach(this.socket);
      this.socket.close(CloseCode.NORMAL, 'client gave up');
      this.socket = null;
    }
    this.setState('disconnected');
    this.emit('closed', error);
  }

  private startHeartbeat(intervalMs: number, timeoutMs: number): void {
    this.stopHeartbeat();
    this.lastHeard = Date.now();
    this.heartbeatTimer = setInterval(() => {
      if (Date.now() - this.lastHeard > timeoutMs) this.abandon();
      else this.send({ type: 'ping' });
    }, intervalMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private clearTimers(): void {
    this.stopHeartbeat();
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private detach(socket: SocketLike): void {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = () => {};
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }
}
