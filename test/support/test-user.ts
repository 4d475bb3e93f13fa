import { CallClient, CallgateError, type ConnectionState } from '@callgate/client';
import { createAccessToken, type AccessTokenOptions, type RunningServer } from '@callgate/server';
import { EventQueue } from './event-queue.js';
import { TEST_SECRET, type TestServer } from './servers.js';
import { TcpProxy } from './tcp-proxy.js';

/** What the seed callback received. */
export interface ReceivedEvent {
  event: number;
  userId: string;
  errorCode: number;
  flags: number;
  param: number;
  userStr: string;
}

/** A real SDK client behind its own TCP proxy, recording everything it hears. */
export class TestUser {
  readonly events = new EventQueue<ReceivedEvent>();
  readonly errors = new EventQueue<CallgateError>();
  readonly states = new EventQueue<ConnectionState>();
  readonly client: CallClient;

  private constructor(
    readonly userId: string,
    readonly proxy: TcpProxy,
    token: string,
  ) {
    this.client = new CallClient({
      url: proxy.url,
      token,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200, jitter: 0.2 },
    });
    this.client.setVideoCallEventCallback((event, userId, errorCode, flags, param, userStr) =>
      this.events.push({ event, userId, errorCode, flags, param, userStr }),
    );
    this.client.on('error', (error) => this.errors.push(error));
    this.client.on('connection-state', (state) => this.states.push(state));
  }

  /**
   * Connects `userId` to its node of `server` (see TestServer.nodeFor) through a fresh proxy;
   * `claims` go into its token (role, queues, skills, priority…).
   */
  static async connect(
    server: RunningServer | TestServer,
    userId: string,
    claims: Omit<AccessTokenOptions, 'secret' | 'userId'> = {},
  ): Promise<TestUser> {
    const node = 'nodeFor' in server ? server.nodeFor(userId) : server;
    const proxy = await new TcpProxy(node.port).start();
    const token = await createAccessToken({ secret: TEST_SECRET, userId, ttlSeconds: 600, ...claims });
    const user = new TestUser(userId, proxy, token);
    await user.client.connect();
    return user;
  }

  /** Loses the network without a close handshake; the SDK keeps trying until restore(). */
  drop(): void {
    this.states.clear();
    this.proxy.cut();
  }

  /** Gives the network back and waits until the SDK has reconnected. */
  async reconnect(): Promise<void> {
    this.proxy.restore();
    while ((await this.states.next(`${this.userId} to reconnect`, 5000)) !== 'connected');
  }

  async close(): Promise<void> {
    this.client.close();
    await this.proxy.close();
  }
}
