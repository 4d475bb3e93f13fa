import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { createAccessToken } from '@callgate/server';
import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';

const REQUEST = 1;
const START = 3;
const REPLY = 2;
const FINISH = 4;

type Message = { type: string; seq?: number; event?: number; userId?: string; id?: string; status?: string; callId?: string };

/** A lean socket of the contact centre's wire: auth, messages out, numbered messages checked in order. */
class DeskSocket {
  onMessage: (message: Message, at: number) => void = () => {};
  faults = 0;
  private socket: WebSocket | undefined;
  private lastSeq = 0;

  constructor(
    readonly userId: string,
    private readonly token: string,
  ) {}

  connect(url: string): Promise<void> {
    const socket = new WebSocket(`${url}/ws`, { perMessageDeflate: false, handshakeTimeout: 60_000 });
    this.socket = socket;
    return new Promise((resolve, reject) => {
      let welcomed = false;
      socket.on('open', () => socket.send(JSON.stringify({ type: 'auth', token: this.token })));
      socket.on('message', (data) => {
        const at = performance.now();
        const message = JSON.parse(data.toString()) as Message;
        if (!welcomed) {
          if (message.type !== 'welcome') return reject(new Error(`${this.userId}: ${JSON.stringify(message)}`));
          welcomed = true;
          resolve();
          return;
        }
        if (message.seq !== undefined) {
          if (message.seq !== this.lastSeq + 1) this.faults += 1;
          this.lastSeq = message.seq;
        }
        if (message.type === 'error') this.faults += 1;
        this.onMessage(message, at);
      });
      socket.on('error', (error) => (welcomed ? (this.faults += 1) : reject(error)));
    });
  }

  send(message: object): void {
    this.socket?.send(JSON.stringify(message));
  }

  close(): void {
    this.socket?.terminate();
  }
}

export interface QueueDeskOptions {
  urls: string[];
  secret: string;
  queue: string;
  customers: number;
  agents: number;
  /** Offers to measure, over all agents. */
  offers: number;
  /** How long an agent talks before it hangs up (and is free for the next customer). */
  talkMs: number;
}

export interface QueueDeskResult {
  customers: number;
  agents: number;
  /** From an agent's hang-up (it is free: the queue has no wrap-up) to its next offer. */
  freeToOffer: LatencySummary;
  /** Position messages the customers got while the agents worked, and how long that was. */
  positions: number;
  /** Customers offered to an agent while the agents worked (each offer is a customer served). */
  served: number;
  durationMs: number;
  faults: number;
}

async function connectMany(sockets: DeskSocket[], urls: string[], concurrency = 100): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < sockets.length) {
      const i = next++;
      await sockets[i]!.connect(urls[i % urls.length]!);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

/** A run with no offer for this long has lost one: it ends, with a fault. */
const STALL_MS = 30_000;

/**
 * The contact centre at size: a crowd of customers waits in one queue while agents take them one
 * after another. `prepare` connects everyone and puts the crowd in the queue; `run` measures, for
 * every offer after the first of each agent, the time from the agent's hang-up to the REQUEST of
 * its next customer, and counts the position messages sent to the waiting crowd meanwhile.
 */
export class QueueDesk {
  private constructor(
    private readonly options: QueueDeskOptions,
    private readonly customers: DeskSocket[],
    private readonly agents: DeskSocket[],
  ) {}

  static async prepare(options: QueueDeskOptions): Promise<QueueDesk> {
    const mint = (userId: string, claims: object): Promise<string> => createAccessToken({ secret: options.secret, userId, ttlSeconds: 3600, ...claims });
    const customers: DeskSocket[] = [];
    for (let i = 0; i < options.customers; i++) customers.push(new DeskSocket(`qc-${i}`, await mint(`qc-${i}`, {})));
    const agents: DeskSocket[] = [];
    for (let i = 0; i < options.agents; i++) agents.push(new DeskSocket(`qa-${i}`, await mint(`qa-${i}`, { role: 'agent', queues: [options.queue] })));
    await connectMany(customers, options.urls);
    await connectMany(agents, options.urls);
    let entered = 0;
    await new Promise<void>((resolve) => {
      for (const customer of customers) {
        customer.onMessage = (message) => {
          if (message.type === 'ack' && ++entered === customers.length) resolve();
        };
        customer.send({ type: 'queue.enter', id: 'enter', queue: options.queue });
      }
    });
    return new QueueDesk(options, customers, agents);
  }

  async run(): Promise<QueueDeskResult> {
    const { options, customers, agents } = this;
    let positions = 0;
    for (const customer of customers) customer.onMessage = (message) => void (message.type === 'entry.position' && (positions += 1));
    const histogram = new LatencyHistogram();
    let measured = 0;
    let served = 0;
    let stop = false;
    let stalled = 0;
    const started = performance.now();
    let lastOffer = started;
    await new Promise<void>((resolve) => {
      // No offer for this long: something is wrong (a lost offer); count it and end the run.
      const watchdog = setInterval(() => {
        if (stop || performance.now() - lastOffer < STALL_MS) return;
        stalled = 1;
        stop = true;
        finish();
      }, 1000);
      const finish = (): void => {
        clearInterval(watchdog);
        resolve();
      };
      for (const agent of agents) {
        let freeAt = 0;
        agent.onMessage = (message, at) => {
          if (message.type === 'event' && message.event === REQUEST) {
            lastOffer = performance.now();
            if (!stop) served += 1;
            if (freeAt > 0) {
              histogram.recordMs(at - freeAt);
              if (++measured >= options.offers) {
                stop = true;
                finish();
              }
            }
            if (stop) return;
            agent.send({ type: 'control', event: REPLY, userId: message.userId, errorCode: 0 });
          } else if (message.type === 'event' && message.event === START) {
            const peer = message.userId;
            setTimeout(() => {
              if (stop) return;
              freeAt = performance.now();
              agent.send({ type: 'control', event: FINISH, userId: peer, errorCode: 0 });
            }, options.talkMs);
          }
        };
        agent.send({ type: 'agent.status', status: 'available' });
      }
    });
    const durationMs = Math.round(performance.now() - started);
    const faults = stalled + [...customers, ...agents].reduce((sum, s) => sum + s.faults, 0);
    return { customers: options.customers, agents: options.agents, freeToOffer: histogram.summary(), positions, served, durationMs, faults };
  }

  close(): void {
    for (const socket of [...this.customers, ...this.agents]) socket.close();
  }
}
