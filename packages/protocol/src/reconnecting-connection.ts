import { EventEmitter } from 'eventemitter3';
import { CloseCode } from './close-codes.js';
import { ErrorCode } from './codes.js';
import type { ErrorMessage } from './messages.js';
import { defaultReconnectPolicy, reconnectDelay, type ReconnectPolicy } from './reconnect.js';

export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting';

/** The events a ReconnectingConnection emits itself; a subclass's events include them. */
export interface ReconnectingEvents<Welcome, Failure> {
  state: (state: ConnectionState) => void;
  welcome: (welcome: Welcome) => void;
  closed: (error: Failure | null) => void;
}

export interface ReconnectingOptions<Failure> {
  endpoint: string;
  reconnect: ReconnectPolicy | undefined;
  /** The error class the connection rejects and closes with. */
  failure: new (code: number, message?: string) => Failure;
  /** Who closes the socket, as close reasons name it: "client" makes "client closed" and "client gave up". */
  party: string;
}

interface Welcome {
  heartbeat: { intervalMs: number; timeoutMs: number };
}

interface Socket {
  /** The WebSocket API's: OPEN (1) once open. */
  readonly readyState: number;
  send(data: string): void;
  close(code: number, reason: string): void;
}

/** WebSocket's readyState OPEN, the same in browsers and in `ws`. */
const OPEN = 1;

/**
 * One socket at a time to a server that welcomes it with a heartbeat: opening, reconnecting after a
 * drop with backoff and jitter, giving up, and dropping a server gone silent. The subclass opens the
 * socket, authenticates and reads the messages.
 */
export abstract class ReconnectingConnection<
  W extends Welcome,
  S extends Socket,
  Failure extends Error,
  Events extends ReconnectingEvents<W, Failure>,
> extends EventEmitter<Events> {
  state: ConnectionState = 'disconnected';
  welcome: W | null = null;
  protected socket: S | null = null;
  protected wanted = false;
  /** An error the server sent before closing a socket that never authenticated. */
  protected refusal: ErrorMessage | null = null;
  protected readonly endpoint: string;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  private readonly policy: ReconnectPolicy;

  protected constructor(private readonly options: ReconnectingOptions<Failure>) {
    super();
    this.endpoint = options.endpoint;
    this.policy = options.reconnect ?? defaultReconnectPolicy;
  }

  /** Opens a socket to `endpoint` that authenticates once open; null when it cannot (after `stop`). */
  protected abstract connect(): S | null;
  /** Stops listening to a socket the connection lets go of. */
  protected abstract detach(socket: S): void;
  /** Drops a socket at once, as a network failure would. */
  protected abstract terminate(socket: S): void;
  /** The error that ends the connection for good after its socket closed with `code`, or null to reconnect. */
  protected abstract finalError(code: number, reason: string, refusal: ErrorMessage | null): Failure | null;
  /** Why the first connect failed. */
  protected abstract connectError(code: number, refusal: ErrorMessage | null): Failure;

  /** Each heartbeat interval while the server is heard. */
  protected beat(): void {}

  /** The socket in use went away (a reconnect may follow). */
  protected socketGone(): void {}

  /** Connects and authenticates; rejects when the server refuses or cannot be reached. */
  open(): Promise<W> {
    if (this.state === 'connected' && this.welcome) return Promise.resolve(this.welcome);
    this.wanted = true;
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        this.lifecycle.off('welcome', onWelcome);
        this.lifecycle.off('closed', onClosed);
      };
      const onWelcome = (welcome: W): void => {
        cleanup();
        resolve(welcome);
      };
      const onClosed = (error: Failure | null): void => {
        cleanup();
        reject(error ?? new this.options.failure(ErrorCode.NOT_CONNECTED, 'closed before connecting'));
      };
      this.lifecycle.on('welcome', onWelcome);
      this.lifecycle.on('closed', onClosed);
      if (this.state === 'disconnected') this.dial('connecting');
    });
  }

  /** Sends `message` as JSON if authenticated and the socket is open; false otherwise. */
  protected sendJson(message: object): boolean {
    if (this.state !== 'connected' || this.socket?.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** Ends the connection for good: closed by the application (null), or refused. */
  protected stop(error: Failure | null): void {
    this.wanted = false;
    this.clearTimers();
    const socket = this.release();
    if (socket) {
      socket.close(CloseCode.NORMAL, `${this.options.party} ${error ? 'gave up' : 'closed'}`);
      this.socketGone();
    }
    this.setState('disconnected');
    this.lifecycle.emit('closed', error);
  }

  /** Notes that the server was heard on `socket`; false when the connection let go of it. */
  protected heard(socket: S): boolean {
    if (this.socket !== socket) return false;
    this.lastHeard = Date.now();
    return true;
  }

  protected welcomed(welcome: W): void {
    this.welcome = welcome;
    this.attempt = 0;
    this.refusal = null;
    this.watch(welcome.heartbeat.intervalMs, welcome.heartbeat.timeoutMs);
    this.setState('connected');
    this.lifecycle.emit('welcome', welcome);
  }

  protected socketClosed(socket: S, code: number, reason: string): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.lost(code, reason);
  }

  protected clearTimers(): void {
    this.stopWatch();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** This emitter seen through the events every subclass has (`Events` extends them). */
  private get lifecycle(): EventEmitter<ReconnectingEvents<W, Failure>> {
    return this as unknown as EventEmitter<ReconnectingEvents<W, Failure>>;
  }

  private dial(state: 'connecting' | 'reconnecting'): void {
    this.setState(state);
    this.socket = this.connect();
  }

  private lost(code: number, reason: string): void {
    this.stopWatch();
    this.socketGone();
    if (!this.wanted) return;
    const refusal = this.refusal;
    this.refusal = null;
    const error = this.finalError(code, reason, refusal) ?? (this.state === 'connecting' ? this.connectError(code, refusal) : null);
    if (error) {
      this.stop(error);
      return;
    }
    this.setState('reconnecting');
    const delay = reconnectDelay(this.policy, this.attempt++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.wanted) this.dial('reconnecting');
    }, delay);
  }

  private release(): S | null {
    const socket = this.socket;
    this.socket = null;
    if (socket) this.detach(socket);
    return socket;
  }

  /** A server silent for `timeoutMs` is gone. */
  private watch(intervalMs: number, timeoutMs: number): void {
    this.stopWatch();
    this.lastHeard = Date.now();
    this.heartbeatTimer = setInterval(() => {
      if (Date.now() - this.lastHeard <= timeoutMs) {
        this.beat();
        return;
      }
      const socket = this.release();
      if (!socket) return;
      this.terminate(socket);
      this.lost(1006, 'heartbeat timeout');
    }, intervalMs);
  }

  private stopWatch(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.lifecycle.emit('state', state);
  }
}
