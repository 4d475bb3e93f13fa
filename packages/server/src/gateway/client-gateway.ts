import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { CloseCode, errorMessage, ErrorCode, type SignalDeliveryMessage } from '@callgate/protocol';
import type { TokenVerifier } from '../auth/tokens.js';
import type { Kick } from '../calls/types.js';
import type { StateBackend } from '../state/backend.js';
import type { PresenceBoard } from '../presence/presence-board.js';
import type { Switchboard } from '../switchboard.js';
import { ClientConnection, type ConnectionHost, type GatewayConfig } from './client-connection.js';
import { LocalSignalRelay, type SignalRelay, type SignalRoute } from './signal-relay.js';

export const CLIENT_PATH = '/ws';

export interface ClientGatewayOptions {
  switchboard: Switchboard;
  backend: StateBackend;
  verifier: TokenVerifier;
  config: GatewayConfig;
  logger: Logger;
  /** Largest message accepted, in bytes. */
  maxPayload: number;
  presence: PresenceBoard;
}

/** The users' WebSocket endpoint: holds this node's connections, one live socket per user. */
export class ClientGateway implements ConnectionHost, SignalRoute {
  readonly switchboard: Switchboard;
  readonly backend: StateBackend;
  readonly verifier: TokenVerifier;
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly signals: SignalRelay;
  readonly presence: PresenceBoard;
  private readonly wss: WebSocketServer;
  private readonly byUser = new Map<string, ClientConnection>();
  private readonly all = new Set<ClientConnection>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(options: ClientGatewayOptions) {
    this.switchboard = options.switchboard;
    this.backend = options.backend;
    this.verifier = options.verifier;
    this.config = options.config;
    this.logger = options.logger;
    this.presence = options.presence;
    this.signals = new LocalSignalRelay(options.backend, this);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
    this.wss.on('connection', (socket) => {
      const connection = new ClientConnection(socket, this);
      this.all.add(connection);
      socket.on('close', () => this.all.delete(connection));
    });
    this.heartbeat = setInterval(() => this.all.forEach((c) => c.heartbeat()), this.config.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  /** Takes over upgrade requests for CLIENT_PATH on `server`. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit('connection', ws, request));
  }

  attach(connection: ClientConnection): void {
    const previous = this.byUser.get(connection.userId);
    if (previous && previous !== connection) previous.close(CloseCode.REPLACED, errorMessage(ErrorCode.REPLACED));
    this.byUser.set(connection.userId, connection);
  }

  detach(connection: ClientConnection): void {
    if (this.byUser.get(connection.userId) === connection) this.byUser.delete(connection.userId);
  }

  /** New events for a user: send them if this node holds the user's socket. */
  deliver(userId: string): void {
    void this.byUser.get(userId)?.flush();
  }

  deliverSignal(userId: string, message: SignalDeliveryMessage): boolean {
    const connection = this.byUser.get(userId);
    if (!connection || connection.isClosed()) return false;
    connection.send(message);
    return true;
  }

  kick(kick: Kick): void {
    const connection = this.byUser.get(kick.userId);
    if (connection?.connectionId === kick.connectionId) {
      connection.close(CloseCode.REPLACED, errorMessage(kick.code));
    }
  }

  get connectedUsers(): number {
    return this.byUser.size;
  }

  /** Closes every socket (going away) and stops accepting. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const connection of this.all) connection.close(CloseCode.GOING_AWAY, 'server shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

