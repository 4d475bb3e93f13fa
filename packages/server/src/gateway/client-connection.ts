import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebSocket, RawData } from 'ws';
import {
  CloseCode,
  ErrorCode,
  VideoCallEvent,
  errorMessage,
  parseClientMessage,
  type AuthMessage,
  type ControlMessage,
  type RefreshMessage,
  type ParseResult,
  type ClientMessage,
  type ServerMessage,
  type IceServer,
  type SignalMessage,
  type SequencedMessage,
} from '@callgate/protocol';
import type { TokenVerifier } from '../auth/tokens.js';
import type { PresenceBoard } from '../presence/presence-board.js';
import { StateUnavailableError, type StateBackend } from '../state/backend.js';
import type { Switchboard } from '../switchboard.js';
import type { SignalRelay } from './signal-relay.js';
import type { ConnectionLimits } from './limits.js';
import { ServedSocket, errorFrame, readFrame } from '../sockets/served-socket.js';
import type { WriteBatch } from '../sockets/write-batch.js';
import { withoutStaleRinging } from './stale-ringing.js';
import { sessionState } from './session-state.js';
import { DEFAULT_DEVICE } from '../calls/types.js';
import { handleContactCentre, type ContactCentreHost } from './contact-centre-messages.js';
import { TokenBucket } from './token-bucket.js';
import type { ConnectionObserver } from './connection-observer.js';

export interface GatewayConfig {
  graceMs: number;
  heartbeatIntervalMs: number;
  authTimeoutMs: number;
  limits: ConnectionLimits;
  iceServersFor(userId: string): IceServer[];
  /** Devices a user may have connected at once (1: a second login replaces the first). */
  maxDevices: number;
}

/** This node's user connections: where a connection registers, and the budgets they share. */
export interface ConnectionRegistry {
  attach(connection: ClientConnection): void;
  detach(connection: ClientConnection): void;
  /** Takes one call control from the user's shared budget; false when the user is over it. */
  allowControl(userId: string): boolean;
  /** Whether the user may still send a REQUEST: its budget of REQUESTs refused at once is not used up. */
  allowRequest(userId: string): boolean;
  /** Work that must finish before the server closes (the disconnect of a closed socket). */
  track(work: Promise<void>): void;
}

/** What a connection needs around it, each part cut to what it uses. */
export interface ConnectionHost {
  readonly calls: Pick<Switchboard, 'handle' | 'handleQuietly' | 'control'>;
  /** Where the session's numbered events wait, and which node this is. */
  readonly sessions: Pick<StateBackend, 'eventsAfter' | 'node'>;
  readonly verifier: Pick<TokenVerifier, 'verify'>;
  readonly signals: Pick<SignalRelay, 'relay'>;
  readonly presence: Pick<PresenceBoard, 'watch' | 'unwatch'>;
  readonly registry: ConnectionRegistry;
  readonly contactCentre: ContactCentreHost;
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly observer?: ConnectionObserver;
}

type Phase = 'authenticating' | 'open' | 'closed';

const newSessionId = (): string => randomBytes(18).toString('base64url');

/** setTimeout's longest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One user's WebSocket: authentication, controls in, numbered call events out. */
export class ClientConnection {
  readonly connectionId = randomUUID();
  userId = '';
  sessionId = '';
  /** Which of the user's devices this socket is. */
  deviceId = DEFAULT_DEVICE;
  /** The first flush after a reload sends the session's state instead of the missed events. */
  private reloading = false;
  /** The role of the user's token (agent, supervisor, …), once authenticated. */
  role: string | undefined;
  private phase: Phase = 'authenticating';
  private inbound: Promise<void> = Promise.resolve();
  private sentSeq = 0;
  private flushing = false;
  private flushAgain = false;
  private readonly served: ServedSocket;
  private expiryTimer: NodeJS.Timeout | undefined;
  private tokenExpiresAt = 0;
  private readonly messageBudget: TokenBucket;
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;
  /** Set once the connection broke a limit: nothing more it sends is read. */
  private ignoring = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly host: ConnectionHost,
    private readonly writes: WriteBatch,
  ) {
    this.served = new ServedSocket(socket, host.config.authTimeoutMs, () => {
      this.sendError(ErrorCode.NOT_AUTHENTICATED, 'no valid auth message in time');
      this.served.refuse(CloseCode.AUTH_TIMEOUT, 'authentication timeout');
    });
    this.messageBudget = new TokenBucket(host.config.limits.messagesPerSecond, host.config.limits.messageBurst);
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('close', (code) => this.onClose(code));
    socket.on('error', (error) => host.logger.debug({ err: error }, 'socket error'));
  }

  /** A method, not a property, so that checks after an await are not narrowed away. */
  isClosed(): boolean {
    return this.phase === 'closed';
  }

  /** Called on every heartbeat tick: terminates a socket that did not answer the previous ping. */
  heartbeat(): void {
    this.served.heartbeat();
  }

  close(code: number, reason: string): void {
    this.served.close(code, reason);
  }

  /** Tells the client why in an `error` message (e.g. REPLACED), then closes with `closeCode`. */
  closeWithError(closeCode: number, errorCode: number): void {
    this.sendError(errorCode);
    this.close(closeCode, errorMessage(errorCode));
  }

  /**
   * Sends the messages a commit just appended to this device's outbox. When everything before them
   * was sent they go out at once, in this turn; otherwise (a flush is reading the outbox, or a
   * resume has not caught up yet) the outbox is read from what was sent last.
   */
  deliver(messages: readonly SequencedMessage[]): void {
    if (this.phase !== 'open') return;
    if (this.flushing || this.reloading || messages[0]?.seq !== this.sentSeq + 1) {
      void this.flush();
      return;
    }
    this.sendEvents(messages);
  }

  /** Sends every event of the session not sent yet, in order. */
  async flush(): Promise<void> {
    if (this.phase !== 'open') return;
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = true;
    try {
      do {
        this.flushAgain = false;
        const reload = this.reloading;
        this.reloading = false;
        const events = await this.host.sessions.eventsAfter(this.userId, this.deviceId, this.sessionId, this.sentSeq, reload);
        if (events === undefined) {
          this.host.logger.warn({ userId: this.userId }, 'session events are gone; closing the socket');
          this.close(1011, 'session lost');
          return;
        }
        this.sendEvents(events, reload);
      } while (this.flushAgain && this.phase === 'open');
    } finally {
      this.flushing = false;
    }
  }

  /** Sends the messages after the last one sent, in order (on a reload: the session's state instead). */
  private sendEvents(events: readonly SequencedMessage[], reload = false): void {
    for (const event of reload ? sessionState(events) : withoutStaleRinging(events)) {
      if (event.seq <= this.sentSeq) continue;
      this.send(event);
      if (event.type === 'entry') this.host.contactCentre.positions.seen(this.userId, event.entry);
    }
    const last = events.at(-1);
    if (last && last.seq > this.sentSeq) this.sentSeq = last.seq;
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (this.phase === 'closed' || this.ignoring) return;
    if (!this.messageBudget.take()) {
      this.abuse('too many messages');
      return;
    }
    const parsed = readFrame(data, isBinary, parseClientMessage);
    this.host.observer?.received(parsed, this.userId);
    // An auth whose fields are wrong (a bad deviceId, say) is MALFORMED, not a missing auth.
    const badAuth = !parsed.ok && this.phase === 'authenticating' && !isBinary && claimsType(data.toString(), 'auth');
    this.inbound = this.inbound
      .then(() => this.process(parsed, badAuth))
      .catch((error: unknown) => {
        this.host.logger.error({ err: error, userId: this.userId }, 'message handling failed');
        this.sendError(ErrorCode.INTERNAL);
      });
  }

  private async process(parsed: ParseResult<ClientMessage>, badAuth = false): Promise<void> {
    if (this.phase === 'closed') return;
    if (this.phase === 'authenticating' && (!parsed.ok || parsed.message.type !== 'auth')) {
      if (badAuth && !parsed.ok) this.sendError(parsed.code, `auth: ${parsed.error}`);
      else this.sendError(ErrorCode.NOT_AUTHENTICATED, parsed.ok ? undefined : `the first message must be auth (${parsed.error})`);
      this.served.refuse(CloseCode.AUTH_TIMEOUT, 'not authenticated');
      return;
    }
    if (!parsed.ok) {
      this.sendError(parsed.code, parsed.error);
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'auth':
        if (this.phase === 'open') this.sendError(ErrorCode.MALFORMED, 'already authenticated');
        else await this.authenticate(message);
        return;
      case 'control':
        await this.control(message);
        return;
      case 'ping':
        this.send({ type: 'pong' });
        return;
      case 'refresh':
        await this.refresh(message);
        return;
      case 'signal':
        await this.signal(message);
        return;
      case 'presence.watch':
        await this.host.presence.watch(this, message);
        return;
      case 'leaving':
        await this.host.calls.handleQuietly({ kind: 'leaving', userId: this.userId, sessionId: this.sessionId });
        return;
      case 'call.move': {
        const answer = await this.host.calls.handle({ kind: 'move-here', from: this.userId, sessionId: this.sessionId, ...(message.id !== undefined ? { id: message.id } : {}) });
        if (!answer.result.ok) this.sendError(answer.result.code, answer.result.message, message.id);
        else if (message.id !== undefined) this.send({ type: 'ack', id: message.id });
        return;
      }
      default:
        if (message.type !== 'queues.list' && message.type !== 'queues.watch' && !this.host.registry.allowControl(this.userId)) {
          this.abuse('too many call controls');
          return;
        }
        await handleContactCentre(this.host.contactCentre, this, message);
    }
  }

  /** Closes a connection that broke a limit (policy violation, 1008). */
  private abuse(reason: string): void {
    this.host.logger.warn({ userId: this.userId, reason }, 'closing an abusive connection');
    this.sendError(ErrorCode.RATE_LIMITED, reason);
    this.ignoring = true;
    this.close(CloseCode.POLICY, reason);
  }

  private async authenticate(message: AuthMessage): Promise<void> {
    const check = await this.host.verifier.verify(message.token);
    if (this.isClosed()) return;
    if (!check.ok) {
      this.sendError(check.code, check.reason);
      const closeCode = check.code === ErrorCode.TOKEN_EXPIRED ? CloseCode.TOKEN_EXPIRED : CloseCode.UNAUTHORIZED;
      this.served.refuse(closeCode, check.reason);
      return;
    }
    this.served.settled();
    const decision = await this.host.calls
      .handle({
      kind: 'connect',
      userId: check.userId,
      deviceId: message.deviceId ?? DEFAULT_DEVICE,
      newSessionId: newSessionId(),
      node: this.host.sessions.node,
      connectionId: this.connectionId,
      ...(message.resume ? { resumeSessionId: message.resume.sessionId } : {}),
      ...check.grants,
      })
      .catch((error: unknown) => {
        if (!(error instanceof StateUnavailableError)) throw error;
        this.sendError(ErrorCode.UNAVAILABLE);
        this.close(CloseCode.TRY_AGAIN_LATER, 'call state unavailable');
        return undefined;
      });
    if (!decision) return;
    const session = decision.session;
    if (!session) throw new Error('connect decided no session');
    if ('refused' in session) {
      this.sendError(session.refused, `at most ${this.host.config.maxDevices} devices may be connected at once`);
      this.served.refuse(CloseCode.UNAUTHORIZED, 'too many devices');
      return;
    }
    this.userId = check.userId;
    this.deviceId = message.deviceId ?? DEFAULT_DEVICE;
    this.sessionId = session.sessionId;
    this.role = check.grants.role;
    this.sentSeq = session.resumed && message.resume && !message.resume.reload ? message.resume.lastSeq : 0;
    this.reloading = session.resumed && message.resume?.reload === true;
    if (this.isClosed()) {
      await this.host.calls.handleQuietly(this.disconnectInput(false));
      return;
    }
    this.phase = 'open';
    this.host.registry.attach(this);
    this.expireAt(check.expiresAt);
    const config = this.host.config;
    this.send({
      type: 'welcome',
      userId: this.userId,
      sessionId: this.sessionId,
      deviceId: this.deviceId,
      resumed: session.resumed,
      graceMs: config.graceMs,
      heartbeat: { intervalMs: config.heartbeatIntervalMs, timeoutMs: config.heartbeatIntervalMs * 2 },
      iceServers: config.iceServersFor(this.userId),
      tokenExpiresAt: check.expiresAt,
    });
    this.host.logger.debug({ userId: this.userId, resumed: session.resumed }, 'user connected');
    await this.flush();
    const entryId = decision.users.get(this.userId)?.entryId;
    if (entryId !== undefined) await this.host.contactCentre.positions.connected(this.userId, entryId);
  }

  /** Closes the socket with 4004 when the token expires, unless a refresh came first. */
  private expireAt(expiresAt: number): void {
    this.tokenExpiresAt = expiresAt;
    clearTimeout(this.expiryTimer);
    const arm = (): void => {
      const left = this.tokenExpiresAt - Date.now();
      if (left > 0) {
        this.expiryTimer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
        return;
      }
      this.sendError(ErrorCode.TOKEN_EXPIRED, 'the access token expired; reconnect with a fresh one');
      this.close(CloseCode.TOKEN_EXPIRED, 'token expired');
    };
    arm();
  }

  private async refresh(message: RefreshMessage): Promise<void> {
    const check = await this.host.verifier.verify(message.token);
    if (!check.ok) {
      this.sendError(check.code, check.reason);
      return;
    }
    if (check.userId !== this.userId) {
      this.sendError(ErrorCode.UNAUTHORIZED, 'a refreshed token must name the same user');
      return;
    }
    this.expireAt(check.expiresAt);
    this.send({ type: 'refreshed', tokenExpiresAt: check.expiresAt });
  }

  private async control(message: ControlMessage): Promise<void> {
    if (!this.host.registry.allowControl(this.userId)) {
      this.abuse('too many call controls');
      return;
    }
    if (message.event === VideoCallEvent.START) {
      this.sendError(ErrorCode.INVALID_EVENT, undefined, message.id);
      return;
    }
    if (message.event === VideoCallEvent.REQUEST && !this.host.registry.allowRequest(this.userId)) {
      // Each REQUEST refused at once is a record: a user calling offline ids in a loop waits.
      this.sendError(ErrorCode.RATE_LIMITED, 'too many refused call requests; try again later', message.id);
      return;
    }
    const result = await this.host.calls.control({
      from: this.userId,
      sessionId: this.sessionId,
      event: message.event,
      userId: message.userId,
      errorCode: message.errorCode,
      flags: message.flags,
      param: message.param,
      userStr: message.userStr,
      ...(message.id !== undefined ? { id: message.id } : {}),
    });
    if (result.ok) {
      if (message.id !== undefined) this.send({ type: 'ack', id: message.id });
    } else {
      this.sendError(result.code, result.message, message.id);
    }
  }

  private async signal(message: SignalMessage): Promise<void> {
    if (message.data.kind === 'moved') {
      this.sendError(ErrorCode.MALFORMED, "data.kind: 'moved' is the server's word, not a client's");
      return;
    }
    const result = await this.host.signals.relay({ userId: this.userId, sessionId: this.sessionId }, message);
    if (!result.ok) this.sendError(result.code, result.message);
  }

  private onClose(code: number): void {
    this.served.settled();
    this.host.presence.unwatch(this);
    this.host.contactCentre.board.unwatch(this);
    clearTimeout(this.expiryTimer);
    const wasOpen = this.phase === 'open';
    this.phase = 'closed';
    if (!wasOpen) return;
    this.host.registry.detach(this);
    this.host.registry.track(this.host.calls.handleQuietly(this.disconnectInput(code === CloseCode.NORMAL)));
  }

  private disconnectInput(final: boolean) {
    return {
      kind: 'disconnect' as const,
      userId: this.userId,
      sessionId: this.sessionId,
      connectionId: this.connectionId,
      final,
    };
  }

  send(message: ServerMessage): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.host.config.limits.maxBufferedBytes) {
      // A client that does not read: drop it before its queue grows without bound. Its events stay
      // in the session's outbox, so a resume gets them.
      this.host.logger.warn({ userId: this.userId, buffered: this.socket.bufferedAmount }, 'dropping a client that does not read');
      this.socket.terminate();
      return;
    }
    this.writes.hold();
    this.socket.send(JSON.stringify(message));
    this.host.observer?.sent(message, this.userId);
  }

  sendError(code: number, message?: string, ref?: string): void {
    this.send(errorFrame(code, message, ref));
  }
}

/** Whether `text` is a JSON object whose `type` is `type` (for a message that failed its schema). */
function claimsType(text: string, type: string): boolean {
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null && (json as { type?: unknown }).type === type;
  } catch {
    return false;
  }
}
