import { CallClient, CallgateError, type Call, type CallElsewhere, type ConnectionState } from '@callgate/client';
import { createAccessToken, type AccessTokenOptions } from '@callgate/server';
import { EventQueue } from './event-queue.js';
import { RawSocket } from './raw-socket.js';
import { TEST_SECRET, waitUntil, type TestServer } from './servers.js';
import { TcpProxy } from './tcp-proxy.js';
import type { ReceivedEvent } from './test-user.js';

export interface DeviceOptions {
  /** Which node of the cluster it connects to (modulo the nodes there are): devices of one user spread over the nodes. */
  node?: number;
  claims?: Omit<AccessTokenOptions, 'secret' | 'userId'>;
}

/**
 * One device of a user: a real SDK client with its own deviceId, behind its own TCP proxy (so a
 * test can drop its network), on a chosen node; it records what its seed callback, its `incoming`,
 * `elsewhere` and `error` events heard.
 */
export class DeviceUser {
  readonly events = new EventQueue<ReceivedEvent>();
  readonly incoming = new EventQueue<Call>();
  readonly elsewhere = new EventQueue<CallElsewhere | null>();
  readonly errors = new EventQueue<CallgateError>();
  readonly states = new EventQueue<ConnectionState>();
  readonly client: CallClient;

  private constructor(
    readonly userId: string,
    readonly deviceId: string,
    readonly proxy: TcpProxy,
    token: string,
  ) {
    this.client = new CallClient({ url: proxy.url, token, deviceId, media: false, reconnect: { initialDelayMs: 50, maxDelayMs: 200, jitter: 0.2 } });
    this.client.setVideoCallEventCallback((event, userId, errorCode, flags, param, userStr) => this.events.push({ event, userId, errorCode, flags, param, userStr }));
    this.client.on('incoming', (call) => this.incoming.push(call));
    this.client.on('elsewhere', (call) => this.elsewhere.push(call));
    this.client.on('error', (error) => this.errors.push(error));
    this.client.on('connection-state', (state) => this.states.push(state));
  }

  /** A device that is not connected yet (`connect()` it), e.g. to see its refusal. */
  static async create(server: TestServer, userId: string, deviceId: string, options: DeviceOptions = {}): Promise<DeviceUser> {
    const node = server.nodes[(options.node ?? 0) % server.nodes.length]!;
    const proxy = await new TcpProxy(node.port).start();
    const token = await createAccessToken({ secret: TEST_SECRET, userId, ttlSeconds: 600, ...options.claims });
    return new DeviceUser(userId, deviceId, proxy, token);
  }

  static async connect(server: TestServer, userId: string, deviceId: string, options: DeviceOptions = {}): Promise<DeviceUser> {
    const device = await DeviceUser.create(server, userId, deviceId, options);
    await device.client.connect();
    return device;
  }

  /** Loses the network without a close handshake; the SDK keeps trying until reconnect(). */
  drop(): void {
    this.states.clear();
    this.proxy.cut();
  }

  /** Gives the network back and waits until the SDK has reconnected. */
  async reconnect(): Promise<void> {
    this.proxy.restore();
    while ((await this.states.next(`${this.userId}/${this.deviceId} to reconnect`, 5000)) !== 'connected');
  }

  /** Leaves for good (close 1000), once the server has taken the close, then stops the proxy. */
  async close(): Promise<void> {
    this.client.close();
    await waitUntil(`${this.deviceId}'s close to reach the server`, () => this.proxy.openSockets === 0, 2000).catch(() => {});
    await this.proxy.close();
  }
}

/** A raw socket signed in as `userId`'s device `deviceId` on node `node`, its welcome consumed: for tests that read the wire. */
export async function rawDevice(server: TestServer, userId: string, deviceId: string | undefined, node = 0): Promise<RawSocket> {
  const socket = await RawSocket.open(server.nodes[node % server.nodes.length]!);
  const token = await createAccessToken({ secret: TEST_SECRET, userId, ttlSeconds: 600 });
  socket.send({ type: 'auth', token, ...(deviceId !== undefined ? { deviceId } : {}) });
  const welcome = await socket.next('welcome');
  if (welcome.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
  return socket;
}
