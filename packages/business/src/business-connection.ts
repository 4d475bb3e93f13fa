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
import type { ReconnectPolicy } from '@callgate/protocol';
import { ReconnectingConnection, type ConnectionState } from '@callgate/protocol/connection';
import { BusinessError } from './errors.js';

export type LinkState = ConnectionState;

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
  /** Asked at each (re)connect: whether the link turns its push hook on in `auth`. */
  sendsPush?: () => boolean;
}

/** `<base URL>/business`, from the base URL both SDKs take (ws:, wss:, http: or https:). */
export function businessEndpoint(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, '').replace(/^http(s?):/i, 'ws$1:');
  return trimmed.endsWith(BUSINESS_PATH) ? trimmed : `${trimmed}${BUSINESS_PATH}`;
}

/**
 * The wire side of the business SDK: authentication with the business secret, and a watch on the
 * server's heartbeat pings.
 */
export class BusinessConnection extends ReconnectingConnection<BusinessWelcomeMessage, WebSocket, BusinessError, LinkEvents> {
  /** Why the socket being opened failed, from its 'error' event. */
  private failure = '';
  private readonly secret: string;
  private readonly sendsPush: () => boolean;

  constructor(options: LinkOptions) {
    super({ endpoint: businessEndpoint(options.url), reconnect: options.reconnect, failure: BusinessError, party: 'business server' });
    this.secret = options.secret;
    this.sendsPush = options.sendsPush ?? (() => false);
  }

  /** Sends a message if authenticated; false otherwise. */
  send(message: BusinessClientMessage): boolean {
    return this.sendJson(message);
  }

  close(): void {
    if (this.wanted) this.stop(null);
  }

  protected override connect(): WebSocket {
    this.failure = '';
    const socket = new WebSocket(this.endpoint);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'auth', secret: this.secret, ...(this.sendsPush() ? { push: true } : {}) })));
    socket.on('message', (data) => this.receive(socket, String(data)));
    socket.on('ping', () => this.heard(socket));
    socket.on('error', (error) => (this.failure = error.message));
    socket.on('close', (code, reason) => this.socketClosed(socket, code, reason.toString()));
    return socket;
  }

  private receive(socket: WebSocket, text: string): void {
    if (!this.heard(socket)) return;
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

  protected override finalError(code: number, reason: string, refusal: ErrorMessage | null): BusinessError | null {
    if (code !== CloseCode.UNAUTHORIZED) return null;
    return new BusinessError(ErrorCode.UNAUTHORIZED, refusal?.message ?? (reason || undefined));
  }

  protected override connectError(code: number, refusal: ErrorMessage | null): BusinessError {
    const notFound = / 404\b/.test(this.failure) ? ' (no business link there: start the server with --business-secret)' : '';
    const detail = refusal?.message ?? (this.failure || `close code ${code}`);
    return new BusinessError(refusal?.code ?? ErrorCode.NOT_CONNECTED, `could not connect to ${this.endpoint}: ${detail}${notFound}`);
  }

  protected override socketGone(): void {
    this.emit('lost');
  }

  protected override terminate(socket: WebSocket): void {
    socket.terminate();
  }

  protected override detach(socket: WebSocket): void {
    socket.removeAllListeners();
    socket.on('error', () => {});
  }
}
