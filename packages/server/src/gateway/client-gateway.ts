import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { CloseCode, ErrorCode, type SequencedMessage, type ServerMessage, type SignalDeliveryMessage } from '@callgate/protocol';
import type { TokenVerifier } from '../auth/tokens.js';
import type { Kick } from '../calls/types.js';
import type { StateBackend } from '../state/backend.js';
import type { PresenceBoard } from '../presence/presence-board.js';
import type { Switchboard } from '../switchboard.js';
import { ClientConnection, type ConnectionHost, type ConnectionRegistry, type GatewayConfig } from './client-connection.js';
import { SignalRelay } from './signal-relay.js';
import { HeartbeatWheel } from './heartbeat-wheel.js';
import type { OriginPolicy } from './origin-policy.js';
import { TokenBucket } from './token-bucket.js';
import { WriteBatch } from '../sockets/write-batch.js';
import { AddressCount, admitUpgrade, refuseUpgrade } from './address-count.js';
import type { ConnectionObserver } from './connection-observer.js';
import type { ContactCentreHost } from './contact-centre-messages.js';
import type { QueueChanges } from '../state/queue-indexes.js';

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
  /** Which browser origins may connect. */
  origins: OriginPolicy;
  /** Told about every message in and out (metrics). */
  observer?: ConnectionObserver;
  /** Queues, ratings, positions and the supervisors' board. */
  contactCentre: ContactCentreHost;
  /** Told when queues' lines or agents changed, on any node. */
  onQueueChanges?: (changes: QueueChanges) => void;
}

/** The users' WebSocket endpoint: holds this node's connections, one live socket per user. */
export class ClientGateway implements ConnectionRegistry {
  readonly verifier: TokenVerifier;
  private readonly config: GatewayConfig;
  private readonly logger: Logger;
  private readonly backend: StateBackend;
  private readonly presence: PresenceBoard;
  /** What each connection is given. */
  private readonly host: ConnectionHost;
  private readonly wss: WebSocketServer;
  private readonly byDevice = new Map<string, ClientConnection>();
  private readonly byUser = new Map<string, Set<ClientConnection>>();
  private readonly all = new Set<ClientConnection>();
  private readonly heartbeats: HeartbeatWheel;
  private readonly originPolicy: OriginPolicy;
  private readonly sockets: AddressCount;
  private readonly controlBudgets = new Map<string, TokenBucket>();
  /** Per user: REQUESTs that may still be refused at once (limits.refusedRequestsPerMinute). */
  private readonly refusalBudgets = new Map<string, TokenBucket>();
  private readonly pending = new Set<Promise<void>>();

  constructor(options: ClientGatewayOptions) {
    this.verifier = options.verifier;
    this.config = options.config;
    this.logger = options.logger;
    this.backend = options.backend;
    this.presence = options.presence;
    this.host = {
      calls: options.switchboard,
      sessions: options.backend,
      verifier: options.verifier,
      signals: new SignalRelay(options.backend),
      presence: options.presence,
      registry: this,
      contactCentre: options.contactCentre,
      config: options.config,
      logger: options.logger,
      ...(options.observer ? { observer: options.observer } : {}),
    };
    this.originPolicy = options.origins;
    this.sockets = new AddressCount(this.config.limits.maxConnectionsPerIp);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
    this.wss.on('connection', (socket, request: IncomingMessage) => {
      const connection = new ClientConnection(socket, this.host, new WriteBatch(request.socket));
      this.all.add(connection);
      this.heartbeats.add(connection);
      socket.on('close', () => {
        this.all.delete(connection);
        this.heartbeats.remove(connection);
      });
    });
    // A REQUEST refused at once is decided on the node its caller sent it to: this one.
    options.switchboard.onTransition((transition) => {
      if (transition.type === 'ended' && transition.endedIn === 'requested') this.refused(transition.call.caller);
    });
    this.heartbeats = new HeartbeatWheel(this.config.heartbeatIntervalMs, () => this.forgetFullBudgets());
    // Outbound: what decisions on any node leave for the sockets of this node.
    options.backend.listen({
      events: (userId, deviceId, messages) => this.deliver(userId, deviceId, messages),
      kick: (kick) => this.kick(kick),
      restored: () => void this.verifySessions(),
      presence: (userIds) => this.presence.changed(userIds),
      signal: (userId, deviceId, message) => this.deliverSignal(userId, deviceId, message),
      ...(options.onQueueChanges ? { queues: options.onQueueChanges } : {}),
    });
  }

  /** Takes over upgrade requests for CLIENT_PATH: checks the Origin and the per-address limit first. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.originPolicy.allows(request)) {
      refuseUpgrade(socket, 403, 'Forbidden', 'origin not allowed');
      return;
    }
    if (!admitUpgrade(this.sockets, request, socket)) return;
    this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit('connection', ws, request));
  }

  track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  allowControl(userId: string): boolean {
    let budget = this.controlBudgets.get(userId);
    if (!budget) {
      budget = new TokenBucket(this.config.limits.controlsPerSecond, this.config.limits.controlBurst);
      this.controlBudgets.set(userId, budget);
    }
    return budget.take();
  }

  allowRequest(userId: string): boolean {
    return this.refusalBudgets.get(userId)?.hasToken() ?? true;
  }

  /** A REQUEST of `userId` was refused at once: one less in its budget. */
  private refused(userId: string): void {
    let budget = this.refusalBudgets.get(userId);
    if (!budget) {
      budget = new TokenBucket(this.config.limits.refusedRequestsPerMinute / 60, this.config.limits.refusedRequestBurst);
      this.refusalBudgets.set(userId, budget);
    }
    budget.take();
  }

  private forgetFullBudgets(): void {
    for (const budgets of [this.controlBudgets, this.refusalBudgets]) {
      for (const [userId, budget] of budgets) {
        if (budget.isFull()) budgets.delete(userId);
      }
    }
  }

  attach(connection: ClientConnection): void {
    const key = deviceKey(connection.userId, connection.deviceId);
    const previous = this.byDevice.get(key);
    if (previous && previous !== connection) previous.closeWithError(CloseCode.REPLACED, ErrorCode.REPLACED);
    this.byDevice.set(key, connection);
    let devices = this.byUser.get(connection.userId);
    if (!devices) this.byUser.set(connection.userId, (devices = new Set()));
    devices.add(connection);
  }

  detach(connection: ClientConnection): void {
    const key = deviceKey(connection.userId, connection.deviceId);
    if (this.byDevice.get(key) !== connection) return;
    this.byDevice.delete(key);
    const devices = this.byUser.get(connection.userId);
    devices?.delete(connection);
    if (devices?.size) return;
    this.byUser.delete(connection.userId);
    this.host.contactCentre.positions.left(connection.userId);
  }

  /** Sends `message` to every socket of `userId` this node holds. */
  sendTo(userId: string, message: ServerMessage): void {
    for (const connection of this.byUser.get(userId) ?? []) connection.send(message);
  }

  /** New events for a device: send them if this node holds its socket. */
  deliver(userId: string, deviceId: string, messages: readonly SequencedMessage[]): void {
    this.byDevice.get(deviceKey(userId, deviceId))?.deliver(messages);
  }

  deliverSignal(userId: string, deviceId: string, message: SignalDeliveryMessage): boolean {
    const connection = this.byDevice.get(deviceKey(userId, deviceId));
    if (!connection || connection.isClosed()) return false;
    connection.send(message);
    return true;
  }

  kick(kick: Kick): void {
    const connection = this.byDevice.get(deviceKey(kick.userId, kick.deviceId));
    if (connection?.connectionId === kick.connectionId) {
      connection.closeWithError(CloseCode.REPLACED, kick.code);
    }
  }

  /**
   * After the state store came back from an outage: a socket whose session the store no longer
   * knows is closed (1012) so that its client reconnects and starts afresh.
   */
  async verifySessions(): Promise<void> {
    const connections = [...this.byDevice.values()];
    const users = await this.backend.userRecords(connections.map((connection) => connection.userId)).catch(() => []);
    for (const [i, connection] of connections.entries()) {
      const known = users[i]?.devices.some((device) => device.sessionId === connection.sessionId) === true;
      if (!known) connection.close(CloseCode.SERVICE_RESTART, 'session lost; reconnect');
    }
  }

  /** Users with at least one socket on this node. */
  get connectedUsers(): number {
    return this.byUser.size;
  }

  /** How many users have how many devices connected to this node: device count → users. */
  get devicesPerUser(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const devices of this.byUser.values()) counts.set(devices.size, (counts.get(devices.size) ?? 0) + 1);
    return counts;
  }

  /** Closes every socket (going away), stops accepting, and waits until their sessions are told. */
  async close(): Promise<void> {
    this.heartbeats.stop();
    const closed = [...this.all].map((connection) => connection.closed);
    for (const connection of this.all) connection.close(CloseCode.GOING_AWAY, 'server going away; reconnect');
    const stopped = new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    // A client that never answers the close frame would otherwise hold the shutdown for ws's 30 s close timeout.
    for (const socket of this.wss.clients) socket.terminate();
    await stopped;
    await Promise.allSettled([...this.pending]);
  }
}


const deviceKey = (userId: string, deviceId: string): string => `${userId}\u0000${deviceId}`;
