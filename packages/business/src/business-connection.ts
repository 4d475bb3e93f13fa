import { EventEmitter } from 'eventemitter3';
import WebSocket from 'ws';
import {
  BUSINESS_PATH,
  CloseCode,
  ErrorCode,
  parseBusinessServerMessage,
  type BusinessClientMessage,
  type BusinessServerMessage,
  type BusinessWelcomeMessage,
  type ErrorMessage,
} from '@callgate/protocol';
import { defaultReconnectPolicy, reconnectDelay, type ReconnectPolicy } from './backoff.js';
import { BusinessError } from './errors.js';

export type LinkState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting';

/** Messages after the welcome. */
export type LinkMessage = Exclude<BusinessServerMessage, BusinessWelcomeMessage>;

export interface LinkEvents {
  state: (state: LinkState) => void;
  welcome: (welcome: BusinessWelcomeMessage) => void;
  message: (message: LinkMessage) => void;
  /** The socket in use went away (a reconnect may follow). */
  lost: () => void;
  /** The link ended for good: closed by the application (null) or refused by the server. */
  closed: (error: BusinessError | null) => void;
}

export interface LinkOptions {
  url: string;
  secret: string;
  reconnect?: ReconnectPolicy;
}

/** `<base URL>/business`, from the base URL both SDKs take (ws:, wss:, http: or https:). */
export function businessEndpoint(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, '').replace(/^http(s?):/i, 'ws$1:');
  return trimmed.endsWith(BUSINESS_PATH) ? trimmed : `${trimmed}${BUSINESS_PATH}`;
}

/**
 * The wire side of the business SDK: one WebSocket at a time, authentication with the business
 * secret, reconnects with backoff and jitter, and a watch on the server's heartbeat pings.
 */
export class BusinessConnection extends EventEmitter<LinkEvents> {
  state: LinkState = 'disconnected';
  welcome: BusinessWelcomeMessage | null = null;
  private socket: WebSocket | null = null;
  private wanted = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private lastHeard = 0;
  private refusal: ErrorMessage | null = null;
  private failure = '';
  private readonly endpoint: string;
  private readonly policy: ReconnectPolicy;

  constructor(private readonly options: LinkOptions) {
    super();
    this.endpoint = businessEndpoint(options.url);
    this.policy = options.reconnect ?? defaultReconnectPolicy;
  }

  /** Connects and authenticates; rejects with a BusinessError when the server refuses or cannot be reached. */
  open(): Promise<BusinessWelcomeMessage> {
    if (this.state === 'connected' && this.welcome) return Promise.resolve(this.welcome);
    this.wanted = true;
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        this.off('welcome', onWelcome);
        this.off('closed', onClosed);
      };
      const onWelcome = (welcome: BusinessWelcomeMessage): void => {
        cleanup();
        resolve(welcome);
      };
      const onClosed = (error: BusinessError | null): void => {
        cleanup();
        reject(error ?? new BusinessError(ErrorCode.NOT_CONNECTED, 'closed before connecting'));
      };
      this.on('welcome', onWelcome);
      this.on('closed', onClosed);
      if (this.state === 'disconnected') this.dial('connecting');
    });
  }

  /** Sends a message if authenticated; false otherwise. */
  send(message: BusinessClientMessage): boolean {
    if (this.state !== 'connected' || this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  close(): void {
    const wasWanted = this.wanted;
    this.wanted = false;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.close(CloseCode.NORMAL, 'business server closed');
      this.emit('lost');
    }
    this.setState('disconnected');
    if (wasWanted) this.emit('closed', null);
  }

  private dial(state: 'connecting' | 'reconnecting'): void {
    this.setState(state);
    this.failure = '';
    const socket = new WebSocket(this.endpoint);
    this.socket = socket;
    socket.on('open', () => socket.send(JSON.stringify({ type: 'auth', secret: this.options.secret })));
    socket.on('message', (data) => this.receive(socket, String(data)));
    socket.on('ping', () => (this.lastHeard = Date.now()));
    socket.on('error', (error) => (this.failure = error.message));
    socket.on('close', (code, reason) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.lost(code, reason.toString());
    });
  }

  private receive(socket: WebSocket, text: string): void {
    if (this.socket !== socket) return;
    this.lastHeard = Date.now();
    const parsed = parseBusinessServerMessage(text);
    if (!parsed.ok) return;
    const message = parsed.message;
    if (message.type === 'welcome') {
      this.welcomed(message);
      return;
    }
    if (message.type === 'error' && this.state !== 'connected') {
      this.refusal = message;
      return;
    }
    this.emit('message', message);
  }

  private welcomed(welcome: BusinessWelcomeMessage): void {
    this.welcome = welcome;
    this.attempt = 0;
    this.refusal = null;
    this.watch(welcome.heartbeat.intervalMs, welcome.heartbeat.timeoutMs);
    this.setState('connected');
    this.emit('welcome', welcome);
  }

  private lost(code: number, reason: string): void {
    this.stopWatch();
    this.emit('lost');
    if (!this.wanted) return;
    const refusal = this.refusal;
    this.refusal = null;
    if (code === CloseCode.UNAUTHORIZED) {
      this.fail(new BusinessError(ErrorCode.UNAUTHORIZED, refusal?.message ?? (reason || undefined)));
      return;
    }
    if (this.state === 'connecting') {
      const notFound = / 404\b/.test(this.failure) ? ' (no business link there: start the server with --business-secret)' : '';
      const detail = refusal?.message ?? (this.failure || `close code ${code}`);
      this.fail(new BusinessError(refusal?.code ?? ErrorCode.NOT_CONNECTED, `could not connect to ${this.endpoint}: ${detail}${notFound}`));
      return;
    }
    this.setState('reconnecting');
    const delay = reconnectDelay(this.policy, this.attempt++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.wanted) this.dial('reconnecting');
    }, delay);
  }

  private fail(error: BusinessError): void {
    this.wanted = false;
    this.clearTimers();
    if (this.socket) {
      this.socket.removeAllListeners();
      this.socket.on('error', () => {});
      this.socket.close(CloseCode.NORMAL, 'business server gave up');
      this.socket = null;
    }
    this.setState('disconnected');
    this.emit('closed', error);
  }

  /** The server pings every interval; a server silent for `timeoutMs` is gone. */
  private watch(intervalMs: number, timeoutMs: number): void {
    this.stopWatch();
    this.lastHeard = Date.now();
    this.watchTimer = setInterval(() => {
      if (Date.now() - this.lastHeard <= timeoutMs) return;
      const socket = this.socket;
      if (!socket) return;
      this.socket = null;
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
      this.lost(1006, 'heartbeat timeout');
    }, intervalMs);
  }

  private stopWatch(): void {
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.watchTimer = null;
  }

  private clearTimers(): void {
    this.stopWatch();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private setState(state: LinkState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }
}
