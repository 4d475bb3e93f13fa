import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import {
  CloseCode,
  ErrorCode,
  parseBusinessClientMessage,
  type BusinessClientMessage,
  type BusinessControlMessage,
  type BusinessLinkEvent,
  type BusinessServerMessage,
  type ParseResult,
  type UserState,
} from '@callgate/protocol';
import { ServedSocket, errorFrame, readFrame } from '../sockets/served-socket.js';
import type { EventAck, EventReceiver } from './link-dispatch.js';

/** What a link needs from the gateway that holds it. */
export interface LinkHost {
  readonly logger: Logger;
  readonly authTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly decisionTimeoutMs: number;
  /** Checks a business secret sent from `address`: 'rate-limited' when the address guessed wrong too often. */
  checkSecret(secret: string, address: string): 'ok' | 'wrong' | 'rate-limited';
  attach(link: BusinessLink): void;
  detach(link: BusinessLink): void;
  ack(eventId: string, ack: EventAck): void;
  control(message: BusinessControlMessage): Promise<number>;
  /** The link turned its push hook on or off. */
  pushChanged(link: BusinessLink): void;
  userState(userId: string): Promise<UserState>;
}

/** One business server's WebSocket: authentication, events out, acks, controls and queries in. */
export class BusinessLink implements EventReceiver {
  readonly linkId = randomUUID();
  /** Whether this business server sends pushes (auth `push`, or a later `push-hook`). */
  push = false;
  private phase: 'authenticating' | 'open' | 'closed' = 'authenticating';
  private readonly served: ServedSocket;

  constructor(
    private readonly socket: WebSocket,
    private readonly host: LinkHost,
    /** The client address it connected from. */
    private readonly address: string,
  ) {
    this.served = new ServedSocket(socket, host.authTimeoutMs, () => {
      this.sendError(ErrorCode.NOT_AUTHENTICATED, 'no valid auth message in time');
      this.served.refuse(CloseCode.AUTH_TIMEOUT, 'authentication timeout');
    });
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('close', () => this.closed());
    socket.on('error', (error) => host.logger.debug({ err: error }, 'business socket error'));
  }

  heartbeat(): void {
    this.served.heartbeat();
  }

  sendEvent(event: BusinessLinkEvent): void {
    this.send(event);
  }

  close(code: number, reason: string): void {
    this.served.close(code, reason);
  }

  private receive(data: RawData, isBinary: boolean): void {
    const parsed = readFrame(data, isBinary, parseBusinessClientMessage);
    this.process(parsed).catch((error: unknown) => {
      this.host.logger.error({ err: error, linkId: this.linkId }, 'business message handling failed');
      this.sendError(ErrorCode.INTERNAL);
    });
  }

  private async process(parsed: ParseResult<BusinessClientMessage>): Promise<void> {
    if (this.phase === 'closed') return;
    if (this.phase === 'authenticating') {
      this.authenticate(parsed);
      return;
    }
    if (!parsed.ok) {
      this.sendError(parsed.code, parsed.error);
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'auth':
        this.sendError(ErrorCode.MALFORMED, 'already authenticated');
        return;
      case 'ack':
        this.host.ack(message.id, message);
        return;
      case 'control': {
        const errorCode = await this.host.control(message);
        this.send({ type: 'result', id: message.id, errorCode });
        return;
      }
      case 'get-user-state':
        await this.userState(message.id, message.userId);
        return;
      case 'push-hook':
        if (this.push === message.enabled) return;
        this.push = message.enabled;
        this.host.pushChanged(this);
        return;
    }
  }

  private async userState(id: string, userId: string): Promise<void> {
    try {
      this.send({ type: 'user-state', id, ...(await this.host.userState(userId)) });
    } catch (error) {
      this.host.logger.warn({ err: error, userId }, 'user state query failed');
      this.sendError(ErrorCode.UNAVAILABLE, undefined, id);
    }
  }

  private authenticate(parsed: ParseResult<BusinessClientMessage>): void {
    if (!parsed.ok || parsed.message.type !== 'auth') {
      this.sendError(ErrorCode.NOT_AUTHENTICATED, parsed.ok ? undefined : `the first message must be auth (${parsed.error})`);
      this.served.refuse(CloseCode.AUTH_TIMEOUT, 'not authenticated');
      return;
    }
    this.served.settled();
    const secret = this.host.checkSecret(parsed.message.secret, this.address);
    if (secret === 'rate-limited') {
      this.sendError(ErrorCode.RATE_LIMITED, 'too many wrong business secrets from this address; try again later');
      this.served.refuse(CloseCode.POLICY, 'too many wrong secrets');
      return;
    }
    if (secret === 'wrong') {
      this.sendError(ErrorCode.UNAUTHORIZED, 'wrong business secret');
      this.served.refuse(CloseCode.UNAUTHORIZED, 'wrong business secret');
      return;
    }
    this.phase = 'open';
    this.push = parsed.message.push === true;
    this.send({
      type: 'welcome',
      linkId: this.linkId,
      decisionTimeoutMs: this.host.decisionTimeoutMs,
      heartbeat: { intervalMs: this.host.heartbeatIntervalMs, timeoutMs: this.host.heartbeatIntervalMs * 2 },
    });
    this.host.logger.info({ linkId: this.linkId, push: this.push }, 'business server connected');
    this.host.attach(this);
  }

  private closed(): void {
    this.served.settled();
    const wasOpen = this.phase === 'open';
    this.phase = 'closed';
    if (!wasOpen) return;
    this.host.logger.info({ linkId: this.linkId }, 'business server disconnected');
    this.host.detach(this);
  }

  private send(message: BusinessServerMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private sendError(code: number, message?: string, ref?: string): void {
    this.send(errorFrame(code, message, ref));
  }
}
