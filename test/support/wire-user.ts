import { VideoCallEvent, type EntryView } from '@callgate/protocol';
import type { RunningServer } from '@callgate/server';
import type { RawSocket } from './raw-socket.js';
import { rawUser } from './raw-user.js';
import type { TestServer } from './servers.js';

type Message = Record<string, unknown>;

/**
 * A user speaking the contact centre's wire protocol (docs/protocol.md), keeping every message it
 * got, so a test can wait for the next one of a kind and read the newest entry or agent status.
 */
export class WireUser {
  readonly log: Message[] = [];
  private taken = new Set<Message>();
  private waiters: { match: (m: Message) => boolean; resolve: (m: Message) => void; timer?: NodeJS.Timeout }[] = [];
  private nextId = 1;

  private constructor(
    readonly userId: string,
    readonly socket: RawSocket,
    buffered: Message[],
  ) {
    buffered.forEach((message) => this.received(message));
    socket.socket.on('message', (data) => this.received(JSON.parse(data.toString()) as Message));
  }

  static async connect(server: RunningServer | TestServer, userId: string, claims?: Record<string, unknown>): Promise<WireUser> {
    const socket = await rawUser(server, userId, claims);
    // What arrived after the welcome waits in the raw socket's queue; no message event can come
    // between these resolved reads and the listener the constructor adds.
    const buffered: Message[] = [];
    while (socket.messages.size > 0) buffered.push(await socket.messages.next('a buffered message'));
    return new WireUser(userId, socket, buffered);
  }

  private received(message: Message): void {
    this.log.push(message);
    const waiter = this.waiters.find((w) => w.match(message));
    if (!waiter) return;
    this.waiters = this.waiters.filter((w) => w !== waiter);
    this.taken.add(message);
    waiter.resolve(message);
  }

  /** The first message not taken yet that matches, now or when it comes. */
  waitFor(what: string, match: (m: Message) => boolean, timeoutMs = 8000): Promise<Message> {
    const known = this.log.find((m) => !this.taken.has(m) && match(m));
    if (known) {
      this.taken.add(known);
      return Promise.resolve(known);
    }
    return new Promise((resolve, reject) => {
      const waiter: (typeof this.waiters)[number] = { match, resolve: (m) => (clearTimeout(waiter.timer), resolve(m)) };
      waiter.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.userId}: timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(this.log.slice(-5))}`));
      }, timeoutMs);
      waiter.timer.unref();
      this.waiters.push(waiter);
    });
  }

  /** Sends a message with a fresh id and resolves with its ack (or rejects with its error). */
  async ask(message: Message): Promise<Message> {
    const id = `w${this.nextId++}`;
    this.socket.send({ ...message, id });
    const answer = await this.waitFor(`the answer to ${JSON.stringify(message)}`, (m) => (m.type === 'ack' && m.id === id) || (m.type === 'error' && m.ref === id));
    if (answer.type === 'error') throw Object.assign(new Error(`${this.userId}: ${String(answer.name)} ${String(answer.message)}`), { code: answer.code });
    return answer;
  }

  event(event: number, what = `event ${event}`): Promise<Message> {
    return this.waitFor(what, (m) => m.type === 'event' && m.event === event);
  }

  /** The next offer (an agent's REQUEST with a queue); with `until`, rejects once it settles instead of timing out. */
  offer(until?: Promise<void>): Promise<Message> {
    const offer = this.waitFor('an offer', (m) => m.type === 'event' && m.event === VideoCallEvent.REQUEST && typeof m.queue === 'string', until ? 2 ** 30 : undefined);
    if (!until) return offer;
    return Promise.race([offer, until.then(() => Promise.reject(new Error('no more offers')))]);
  }

  entryState(state: string, extra: (entry: EntryView) => boolean = () => true): Promise<EntryView> {
    return this.waitFor(`entry ${state}`, (m) => m.type === 'entry' && (m.entry as EntryView).state === state && extra(m.entry as EntryView)).then(
      (m) => m.entry as EntryView,
    );
  }

  status(status: string, timeoutMs?: number): Promise<Message> {
    return this.waitFor(`agent status ${status}`, (m) => m.type === 'agent' && m.status === status, timeoutMs);
  }

  /** The newest position message, waiting for one with `position` when given. */
  position(position?: number): Promise<Message> {
    return this.waitFor(`position ${position ?? ''}`, (m) => m.type === 'entry.position' && (position === undefined || m.position === position));
  }

  get entry(): EntryView | undefined {
    return this.log.filter((m) => m.type === 'entry').at(-1)?.entry as EntryView | undefined;
  }

  enter(queue: string, userStr = ''): Promise<Message> {
    return this.ask({ type: 'queue.enter', queue, userStr, flags: 3 });
  }

  available(): Promise<Message> {
    return this.ask({ type: 'agent.status', status: 'available' });
  }

  away(reason?: string): Promise<Message> {
    return this.ask({ type: 'agent.status', status: 'away', ...(reason ? { reason } : {}) });
  }

  reply(peer: string, errorCode = 0): Promise<Message> {
    return this.ask({ type: 'control', event: VideoCallEvent.REPLY, userId: peer, errorCode });
  }

  hangUp(peer: string): Promise<Message> {
    return this.ask({ type: 'control', event: VideoCallEvent.FINISH, userId: peer });
  }

  close(): void {
    this.socket.close();
  }
}
