/**
 * The contact centre's rules on the memory backend, driven input by input with a clock the test
 * moves: users connect, agents change status, customers enter, timers are fired by hand.
 */
import { pino } from 'pino';
import {
  ErrorCode,
  VideoCallEvent,
  queueDefinitionSchema,
  type AgentMessage,
  type EntryMessage,
  type EventMessage,
  type Queue,
  type QueueDefinitionInput,
  type SequencedMessage,
} from '@callgate/protocol';
import { DEFAULT_DEVICE, type CallInput, type ControlResult } from '../../src/calls/types.js';
import type { QueueTransition } from '../../src/queues/types.js';
import { MemoryStateBackend } from '../../src/state/memory-backend.js';
import { Switchboard, type Answer } from '../../src/switchboard.js';

export const T0 = Date.now();
const GRACE_MS = 15_000;

export interface Claims {
  role?: string;
  queues?: string[];
  skills?: string[];
  priority?: number;
}

export class QueueWorld {
  now = T0;
  readonly backend = new MemoryStateBackend({ outboxCapacity: 100_000 });
  readonly queues = new Map<string, Queue>();
  readonly switchboard: Switchboard;
  readonly transitions: QueueTransition[] = [];
  private readonly seen = new Map<string, number>();
  private readonly sessions = new Map<string, string>();
  private sessionSeq = 0;
  private entrySeq = 0;
  private callSeq = 0;
  private roomSeq = 0;

  constructor(queues: readonly ({ id: string } & QueueDefinitionInput)[]) {
    for (const { id, ...definition } of queues) this.queues.set(id, { id, ...queueDefinitionSchema.parse(definition) });
    this.switchboard = new Switchboard({
      backend: this.backend,
      logger: pino({ level: 'silent' }),
      ringTimeoutMs: 60_000,
      graceMs: GRACE_MS,
      now: () => this.now,
      newCallId: () => `call-${++this.callSeq}`,
      newRoomId: () => ++this.roomSeq,
      newEntryId: () => `entry-${String(++this.entrySeq).padStart(4, '0')}`,
      queues: (id) => this.queues.get(id),
    });
    this.switchboard.onQueueTransition((transition) => this.transitions.push(transition));
  }

  async close(): Promise<void> {
    await this.backend.close();
  }

  advance(ms: number): void {
    this.now += ms;
  }

  session(userId: string): string {
    const session = this.sessions.get(userId);
    if (!session) throw new Error(`${userId} never connected`);
    return session;
  }

  async connect(userId: string, claims: Claims = {}): Promise<void> {
    const resume = this.sessions.get(userId);
    const decision = await this.switchboard.handle({
      kind: 'connect',
      userId,
      newSessionId: `s-${userId}-${++this.sessionSeq}`,
      node: 'local',
      connectionId: `c-${userId}-${this.sessionSeq}`,
      ...(resume ? { resumeSessionId: resume } : {}),
      ...claims,
    });
    if (!decision.session || 'refused' in decision.session) throw new Error(`${userId} got no session`);
    if (!decision.session.resumed) this.seen.set(userId, 0);
    this.sessions.set(userId, decision.session.sessionId);
  }

  async agent(userId: string, queues: string[], more: Omit<Claims, 'role' | 'queues'> = {}): Promise<void> {
    await this.connect(userId, { role: 'agent', queues, ...more });
  }

  /** Drops the user's socket (grace period); `final` is a normal close. */
  async drop(userId: string, final = false): Promise<void> {
    const device = (await this.backend.userRecords([userId]))[0]?.devices.find((d) => d.deviceId === DEFAULT_DEVICE);
    if (!device) throw new Error(`${userId} is not online`);
    await this.switchboard.handle({ kind: 'disconnect', userId, sessionId: device.sessionId, connectionId: device.connectionId, final });
    if (final) this.sessions.delete(userId);
  }

  async graceOver(userId: string): Promise<void> {
    this.advance(GRACE_MS + 1);
    await this.switchboard.handle({ kind: 'grace-expired', userId, sessionId: this.session(userId) });
    this.sessions.delete(userId);
  }

  queueControl(input: Record<string, unknown> & { kind: string; from: string }): Promise<Answer> {
    return this.switchboard.queueControl({ sessionId: this.session(input.from), ...input } as Parameters<Switchboard['queueControl']>[0]);
  }

  enter(customer: string, queue: string, payload: { userStr?: string; flags?: number } = {}): Promise<Answer> {
    return this.queueControl({ kind: 'enter-queue', from: customer, queue, flags: payload.flags ?? 3, param: 0, userStr: payload.userStr ?? '' });
  }

  leave(customer: string): Promise<Answer> {
    return this.queueControl({ kind: 'leave-queue', from: customer });
  }

  available(agent: string): Promise<Answer> {
    return this.queueControl({ kind: 'agent-status', from: agent, status: 'available' });
  }

  away(agent: string, reason?: string): Promise<Answer> {
    return this.queueControl({ kind: 'agent-status', from: agent, status: 'away', ...(reason ? { reason } : {}) });
  }

  next(agent: string): Promise<Answer> {
    return this.queueControl({ kind: 'next-customer', from: agent });
  }

  endWrapUp(agent: string, closing: { disposition?: string; notes?: string } = {}): Promise<Answer> {
    return this.queueControl({ kind: 'end-wrap-up', from: agent, ...closing });
  }

  transfer(agent: string, to: { queue?: string; agent?: string }): Promise<Answer> {
    return this.queueControl({ kind: 'transfer', from: agent, ...to });
  }

  control(from: string, event: 1 | 2 | 4, userId: string, errorCode = 0): Promise<ControlResult> {
    return this.switchboard.control({ from, sessionId: this.session(from), event, userId, errorCode, flags: 0, param: 0, userStr: '' });
  }

  accept(agent: string, customer: string): Promise<ControlResult> {
    return this.control(agent, VideoCallEvent.REPLY, customer, 0);
  }

  refuse(agent: string, customer: string): Promise<ControlResult> {
    return this.control(agent, VideoCallEvent.REPLY, customer, ErrorCode.REJECT);
  }

  hangUp(user: string, peer: string): Promise<ControlResult> {
    return this.control(user, VideoCallEvent.FINISH, peer, 0);
  }

  /** Lets the offer of `callId` ring out. */
  async offerTimesOut(callId: string): Promise<void> {
    const call = (await this.backend.liveCalls()).find((c) => c.callId === callId);
    if (!call) throw new Error(`no live call ${callId}`);
    this.now = Math.max(this.now, call.ringDeadline);
    await this.switchboard.handle({ kind: 'ring-expired', callId });
  }

  async input(input: CallInput): Promise<void> {
    await this.switchboard.handle(input);
  }

  /** The messages `userId` got since the last look. */
  async take(userId: string): Promise<SequencedMessage[]> {
    const messages = (await this.backend.eventsAfter(userId, DEFAULT_DEVICE, this.session(userId), this.seen.get(userId) ?? 0)) ?? [];
    const last = messages.at(-1);
    if (last) this.seen.set(userId, last.seq);
    return messages;
  }

  async events(userId: string): Promise<EventMessage[]> {
    return (await this.take(userId)).filter((m): m is EventMessage => m.type === 'event');
  }

  /** Everything `userId` got in its session so far. */
  async all(userId: string): Promise<SequencedMessage[]> {
    return (await this.backend.eventsAfter(userId, DEFAULT_DEVICE, this.session(userId), 0)) ?? [];
  }

  /** The newest state the customer was told of its entry. */
  async entryOf(customer: string): Promise<EntryMessage['entry'] | undefined> {
    return (await this.all(customer)).filter((m): m is EntryMessage => m.type === 'entry').at(-1)?.entry;
  }

  /** The newest status the agent was told. */
  async statusOf(agent: string): Promise<AgentMessage | undefined> {
    return (await this.all(agent)).filter((m): m is AgentMessage => m.type === 'agent').at(-1);
  }

  /** Who is being offered which customer now: agent → customer. */
  async offers(): Promise<Map<string, string>> {
    const calls = (await this.backend.liveCalls()).filter((call) => call.entryId !== undefined && call.phase === 'ringing');
    return new Map(calls.map((call) => [call.callee, call.caller]));
  }

  /** The live call of an agent with its customer. */
  async callOf(agent: string): Promise<{ callId: string; customer: string; phase: string } | undefined> {
    const call = (await this.backend.liveCalls()).find((c) => c.callee === agent || c.caller === agent);
    return call && { callId: call.callId, customer: call.caller, phase: call.phase };
  }

  ended(): { entryId: string; customer: string; outcome: string }[] {
    return this.transitions.flatMap((t) => (t.type === 'ended' ? [{ entryId: t.entry.entryId, customer: t.entry.customer, outcome: t.outcome }] : []));
  }
}
