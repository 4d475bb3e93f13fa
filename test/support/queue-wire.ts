import { VideoCallEvent } from '@callgate/protocol';
import { createAccessToken, type RunningServer } from '@callgate/server';
import type { RawSocket } from './raw-socket.js';
import { rawUser } from './raw-user.js';
import { TEST_SECRET, type TestServer } from './servers.js';

type Message = Record<string, unknown>;

/**
 * A user on the contact centre's wire protocol (the SDK does not speak it yet): every message it
 * gets is kept until a test takes it, so waiting for one kind never drops another.
 */
export class WireUser {
  private readonly pending: Message[] = [];
  private readonly waiters = new Set<() => void>();
  private controls = 0;

  private constructor(
    readonly userId: string,
    readonly socket: RawSocket,
  ) {
    socket.socket.on('message', (data) => {
      this.pending.push(JSON.parse(data.toString()) as Message);
      for (const wake of [...this.waiters]) wake();
    });
  }

  static async connect(server: Pick<RunningServer, 'url'> | TestServer, userId: string, claims?: Record<string, unknown>): Promise<WireUser> {
    const socket = await rawUser(server, userId, claims);
    // What came with the welcome, before this user listened, waits in the raw socket's queue.
    const early = socket.messages.size;
    const user = new WireUser(userId, socket);
    const before: Message[] = [];
    for (let i = 0; i < early; i++) before.push(await socket.messages.next('an early message'));
    user.pending.unshift(...before);
    return user;
  }

  send(message: Message): void {
    this.socket.send(message);
  }

  /** Sends a message with a fresh id and resolves with its ack (or rejects with the error it got). */
  async request(message: Message): Promise<Message> {
    const id = `m${++this.controls}`;
    this.send({ ...message, id });
    const answer = await this.take((m) => (m.type === 'ack' || m.type === 'error') && (m.id === id || m.ref === id), `the answer to ${String(message.type)}`);
    if (answer.type === 'error') throw new Error(`${String(message.type)} refused: ${JSON.stringify(answer)}`);
    return answer;
  }

  /** The first message not taken yet that matches, now or when it comes. */
  take(match: (message: Message) => boolean, what: string, timeoutMs = 5000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const at = this.pending.findIndex(match);
        if (at < 0) return;
        const [message] = this.pending.splice(at, 1);
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(message!);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${this.userId}: timed out after ${timeoutMs} ms waiting for ${what}; pending: ${JSON.stringify(this.pending)}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** The next call event `event` (VideoCallEvent). */
  event(event: number, what = `event ${event}`): Promise<Message> {
    return this.take((m) => m.type === 'event' && m.event === event, `${what} at ${this.userId}`);
  }

  /** The next entry message in `state`. */
  entry(state: string): Promise<{ id: string; queue: string; state: string; outcome?: string; callId?: string; agent?: string }> {
    return this.take((m) => m.type === 'entry' && (m.entry as { state?: string }).state === state, `entry ${state} at ${this.userId}`).then(
      (m) => m.entry as { id: string; queue: string; state: string },
    );
  }

  /** The next agent status message with `status`. */
  agentStatus(status: string): Promise<Message> {
    return this.take((m) => m.type === 'agent' && m.status === status, `agent status ${status} at ${this.userId}`);
  }

  close(): void {
    this.socket.close();
  }
}

/** An agent of `queues`, connected and available. */
export async function availableAgent(server: Pick<RunningServer, 'url'> | TestServer, userId: string, queues: string[], skills: string[] = []): Promise<WireUser> {
  const agent = await WireUser.connect(server, userId, { role: 'agent', queues, skills });
  await agent.agentStatus('away');
  await agent.request({ type: 'agent.status', status: 'available' });
  await agent.agentStatus('available');
  return agent;
}

/** The customer enters `queue`; resolves with its entry id once it waits. */
export async function enterQueue(customer: WireUser, queue: string, userStr = ''): Promise<string> {
  const ack = await customer.request({ type: 'queue.enter', queue, userStr });
  await customer.entry('waiting');
  return String(ack.entryId);
}

/** The agent takes the offer of `customer` (REQUEST → REPLY 0); resolves with the call id once both have START. */
export async function answerOffer(agent: WireUser, customer: WireUser): Promise<string> {
  const request = await agent.event(VideoCallEvent.REQUEST, 'the offer');
  if (request.userId !== customer.userId) throw new Error(`${agent.userId} was offered ${String(request.userId)}, not ${customer.userId}`);
  agent.send({ type: 'control', event: VideoCallEvent.REPLY, userId: customer.userId, errorCode: 0 });
  await agent.event(VideoCallEvent.START, 'START');
  await customer.event(VideoCallEvent.START, 'START');
  await customer.entry('connected');
  return String(request.callId);
}

/** The customer hangs up a served call; resolves once its entry ended `served` and the agent heard FINISH. */
export async function hangUp(customer: WireUser, agent: WireUser): Promise<void> {
  customer.send({ type: 'control', event: VideoCallEvent.FINISH, userId: agent.userId, errorCode: 0 });
  await agent.event(VideoCallEvent.FINISH, 'FINISH');
  const ended = await customer.entry('ended');
  if (ended.outcome !== 'served') throw new Error(`expected served, got ${JSON.stringify(ended)}`);
}

/** A user access token with claims (a supervisor's, say), for the REST API. */
export const tokenFor = (userId: string, claims?: Record<string, unknown>): Promise<string> =>
  createAccessToken({ secret: TEST_SECRET, userId, ttlSeconds: 600, ...(claims ? { claims } : {}) });
