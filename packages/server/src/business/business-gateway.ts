import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { CloseCode, ErrorCode, VideoCallEvent, type BusinessControlMessage, type UserState } from '@callgate/protocol';
import { StateUnavailableError, type StateBackend } from '../state/backend.js';
import type { Switchboard } from '../switchboard.js';
import { sameSecret } from '../auth/secrets.js';
import { AddressCount, admitUpgrade, clientAddress } from '../gateway/address-count.js';
import { SecretGuesses } from './secret-guesses.js';
import { BusinessLink, type LinkHost } from './business-link.js';
import { userStateOf } from './call-notices.js';
import { LinkDispatch, type EventAck } from './link-dispatch.js';

export interface BusinessGatewayOptions {
  secret: string;
  switchboard: Switchboard;
  backend: StateBackend;
  logger: Logger;
  decisionTimeoutMs: number;
  heartbeatIntervalMs: number;
  authTimeoutMs: number;
  maxPayload: number;
  /** Open sockets per client address, as on `/ws`; 0 for no limit. */
  maxConnectionsPerIp: number;
}

/** The business servers' WebSocket endpoint: their links, and what they may ask of the core. */
export class BusinessGateway implements LinkHost {
  readonly dispatch: LinkDispatch;
  readonly logger: Logger;
  readonly authTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly decisionTimeoutMs: number;
  private readonly wss: WebSocketServer;
  private readonly all = new Set<BusinessLink>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly linkListeners: (() => void)[] = [];
  private readonly sockets: AddressCount;
  private readonly guesses = new SecretGuesses();

  constructor(private readonly options: BusinessGatewayOptions) {
    this.logger = options.logger;
    this.authTimeoutMs = options.authTimeoutMs;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs;
    this.decisionTimeoutMs = options.decisionTimeoutMs;
    this.dispatch = new LinkDispatch(this.logger);
    this.sockets = new AddressCount(options.maxConnectionsPerIp);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
    this.wss.on('connection', (socket, request: IncomingMessage) => {
      const link = new BusinessLink(socket, this, clientAddress(request));
      this.all.add(link);
      socket.on('close', () => this.all.delete(link));
    });
    this.heartbeat = setInterval(() => {
      this.all.forEach((link) => link.heartbeat());
      this.guesses.forgetFull();
    }, this.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  /** Called whenever a link comes or goes, or turns its push hook on or off. */
  onLinksChanged(listener: () => void): void {
    this.linkListeners.push(listener);
  }

  /** Takes over upgrade requests for BUSINESS_PATH: the per-address limit first, as on `/ws`. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!admitUpgrade(this.sockets, request, socket)) return;
    this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit('connection', ws, request));
  }

  checkSecret(secret: string, address: string): 'ok' | 'wrong' | 'rate-limited' {
    if (!this.guesses.mayTry(address)) return 'rate-limited';
    if (sameSecret(secret, this.options.secret)) return 'ok';
    this.guesses.wrong(address);
    this.logger.warn({ address }, 'wrong business secret');
    return 'wrong';
  }

  attach(link: BusinessLink): void {
    this.dispatch.attach(link);
    this.linkListeners.forEach((listener) => listener());
  }

  detach(link: BusinessLink): void {
    this.dispatch.detach(link);
    this.linkListeners.forEach((listener) => listener());
  }

  pushChanged(_link: BusinessLink): void {
    this.dispatch.pushChanged();
    this.linkListeners.forEach((listener) => listener());
  }

  ack(eventId: string, ack: EventAck): void {
    this.dispatch.ack(eventId, ack);
  }

  /** A business server's `videoCallControl`: FINISH ends the call `userId` is in. */
  async control(message: BusinessControlMessage): Promise<number> {
    if (message.event !== VideoCallEvent.FINISH) return ErrorCode.INVALID_EVENT;
    try {
      return await this.options.switchboard.forceFinish({
        userId: message.userId,
        errorCode: message.errorCode,
        flags: message.flags,
        param: message.param,
        userStr: message.userStr,
        by: 'business',
      });
    } catch (error) {
      if (error instanceof StateUnavailableError) return ErrorCode.UNAVAILABLE;
      this.logger.error({ err: error }, 'business control failed');
      return ErrorCode.INTERNAL;
    }
  }

  async userState(userId: string): Promise<UserState> {
    const { user, call } = await this.options.backend.inspect(userId);
    return userStateOf(userId, user, call);
  }

  /** Closes every link (going away) and stops accepting. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const link of this.all) link.close(CloseCode.GOING_AWAY, 'server shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
