import {
  BusinessClient,
  BusinessError,
  type BusinessEventDetails,
  type LinkState,
  type PushRequest,
  type QueueEntryCallback,
  type QueueEntryRequest,
  type QueueEvent,
} from '@callgate/business';
import type { RunningServer } from '@callgate/server';
import { EventQueue } from './event-queue.js';
import { TEST_BUSINESS_SECRET, waitUntil, type TestServer } from './servers.js';
import { TcpProxy } from './tcp-proxy.js';

/** What the business callback received. */
export interface HeardEvent {
  event: number;
  src: string;
  tar: string;
  errorCode: number;
  flags: number;
  param: number;
  userStr: string;
  details: BusinessEventDetails;
}

/** Decides on a REQUEST the business server was asked about. */
export type Decider = (event: HeardEvent) => number | Promise<number>;

/** A real business SDK client behind its own TCP proxy, recording every event its callback gets. */
export class TestBusiness {
  readonly events = new EventQueue<HeardEvent>();
  readonly errors = new EventQueue<BusinessError>();
  readonly states = new EventQueue<LinkState>();
  /** Every event ever heard, in order (the queue above is consumed by tests). */
  readonly heard: HeardEvent[] = [];
  decide: Decider = () => 0;
  /** Every queue entry step heard, in order. */
  readonly queueEvents = new EventQueue<QueueEvent>();
  readonly queueHeard: QueueEvent[] = [];
  /** The entry decisions asked for, in order. */
  readonly entriesAsked: QueueEntryRequest[] = [];
  /** Decides on a customer entering a queue (0 by default: allowed). */
  decideEntry: QueueEntryCallback = () => 0;
  /** The pushes heard while `sendPushes()` is on. */
  readonly pushes = new EventQueue<PushRequest>();
  /** The server this client counts as connected to (see everyNodeSees). */
  server: RunningServer | undefined;
  readonly client: BusinessClient;

  private constructor(
    readonly name: string,
    readonly proxy: TcpProxy,
    secret: string,
  ) {
    this.client = new BusinessClient({ url: proxy.url, secret, reconnect: { initialDelayMs: 50, maxDelayMs: 200, jitter: 0.2 } });
    this.client.setOnVideoCallEventCallback((event, src, tar, errorCode, flags, param, userStr, details) => {
      const heard = { event, src, tar, errorCode, flags, param, userStr, details };
      this.heard.push(heard);
      this.events.push(heard);
      return details.decide ? this.decide(heard) : 0;
    });
    this.client.setOnQueueEventCallback((event) => {
      this.queueHeard.push(event);
      this.queueEvents.push(event);
    });
    this.client.setOnQueueEntryCallback((entry) => {
      this.entriesAsked.push(entry);
      return this.decideEntry(entry);
    });
    this.client.on('error', (error) => this.errors.push(error));
    this.client.on('connection-state', (state) => this.states.push(state));
  }

  /** A business client that has not connected yet. */
  static async create(server: RunningServer, name = 'business', secret = TEST_BUSINESS_SECRET): Promise<TestBusiness> {
    const proxy = await new TcpProxy(server.port).start();
    return new TestBusiness(name, proxy, secret);
  }

  /** Turns the push hook on (before connect: the link says so in its auth) and records the pushes. */
  sendPushes(): this {
    this.client.setOnPushCallback((push) => this.pushes.push(push));
    return this;
  }

  /** Connects; with `push`, as a push hook (`sendPushes`). */
  static async connect(server: RunningServer, name = 'business', options: { push?: boolean } = {}): Promise<TestBusiness> {
    const business = await TestBusiness.create(server, name);
    if (options.push) business.sendPushes();
    await business.client.connect();
    const links = (connectedTo.get(server) ?? 0) + 1;
    connectedTo.set(server, links);
    business.server = server;
    await everyNodeSees(server, links);
    return business;
  }

  /** Loses the network without a close handshake; the SDK keeps trying until restore(). */
  drop(): void {
    this.states.clear();
    this.proxy.cut();
  }

  async reconnect(): Promise<void> {
    this.proxy.restore();
    while ((await this.states.next(`${this.name} to reconnect`, 5000)) !== 'connected');
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.client.close();
    await this.proxy.close();
    if (!server) return;
    const links = (connectedTo.get(server) ?? 1) - 1;
    connectedTo.set(server, links);
    await everyNodeSees(server, links, 'at most');
  }
}

/** Business clients connected through TestBusiness.connect, per server. */
const connectedTo = new WeakMap<RunningServer, number>();

/**
 * In a cluster, the other nodes learn of a business link a moment after it connected or left:
 * wait until every node counts at least (or at most) `links`, so that a test's next REQUEST is
 * asked about (or decided alone). Throws if they do not within 5 s.
 */
async function everyNodeSees(server: RunningServer | TestServer, links: number, bound: 'at least' | 'at most' = 'at least'): Promise<void> {
  const nodes = 'nodes' in server ? server.nodes : [server];
  const off = (node: RunningServer): boolean => (bound === 'at least' ? node.businessLinks() < links : node.businessLinks() > links);
  await waitUntil(`every node to count ${bound} ${links} business links`, () => !nodes.some(off), 5000);
}
