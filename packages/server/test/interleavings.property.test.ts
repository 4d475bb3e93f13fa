/**
 * Rule 7 (docs/architecture.md) under concurrency: controls, business decisions and force-finishes issued at
 * once against the switchboard and the memory backend, their start and the business server's
 * answers ordered by fast-check's scheduler, so that every interleaving of their awaits is tried.
 * Every user has two devices, and each of them answers every REQUEST it gets: the first REPLY 0
 * wins ("Devices"), whatever the order.
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent, type EventMessage, type SequencedMessage, type VideoCallEventType } from '@callgate/protocol';
import { MemoryStateBackend } from '../src/state/memory-backend.js';
import { Switchboard } from '../src/switchboard.js';

const isEvent = (message: SequencedMessage): message is EventMessage => message.type === 'event';

const USERS = ['u1', 'u2', 'u3'] as const;
const DEVICES = ['phone', 'laptop'] as const;
const RING_MS = 60_000;

const sessionOf = (userId: string, deviceId: string): string => `s-${userId}-${deviceId}`;

type Op =
  | { kind: 'control'; from: number; device: number; to: number; event: 'REQUEST' | 'REPLY' | 'FINISH'; code: number }
  | { kind: 'force-finish'; user: number }
  | { kind: 'ring-out' };

const user = fc.nat({ max: USERS.length - 1 });
const control = (event: 'REQUEST' | 'REPLY' | 'FINISH', code: fc.Arbitrary<number>): fc.Arbitrary<Op> =>
  fc.record({ kind: fc.constant('control' as const), from: user, device: fc.nat({ max: DEVICES.length - 1 }), to: user, event: fc.constant(event), code });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: control('REQUEST', fc.constant(0)) },
  { weight: 6, arbitrary: control('REPLY', fc.constantFrom(0, 0, 0, ErrorCode.REJECT, ErrorCode.CANCEL)) },
  { weight: 2, arbitrary: control('FINISH', fc.constant(0)) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('force-finish' as const), user }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'ring-out' as const }) },
);

const token = (event: EventMessage): string =>
  event.event === VideoCallEvent.REPLY ? (event.errorCode === 0 ? 'a' : 'x') : ({ 1: 'R', 3: 'S', 4: 'F' } as Record<number, string>)[event.event]!;

describe('interleavings (fast-check scheduler)', () => {
  it('concurrent controls, business answers and force-finishes keep rule 7 in every order', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(op, { minLength: 1, maxLength: 40 }), fc.array(fc.nat({ max: 3 }).map((n) => n === 0), { minLength: 1, maxLength: 20 }), async (s, ops, vetoes) => {
        let now = 1_000_000;
        const backend = new MemoryStateBackend({ outboxCapacity: 10_000 });
        const switchboard = new Switchboard({ backend, logger: pino({ level: 'silent' }), ringTimeoutMs: RING_MS, graceMs: 15_000, now: () => now });
        // Each device of a callee answers each REQUEST it gets, at a moment the scheduler picks
        // (unless the call is already over, or answered on the other device, by then: the races under test).
        const seenSeq = new Map<string, number>();
        const answered: Promise<unknown>[] = [];
        const answer = async (userId: string, deviceId: string): Promise<void> => {
          const sessionId = sessionOf(userId, deviceId);
          const events = ((await backend.eventsAfter(userId, deviceId, sessionId, seenSeq.get(sessionId) ?? 0)) ?? []).filter(isEvent);
          for (const event of events) {
            seenSeq.set(sessionId, Math.max(seenSeq.get(sessionId) ?? 0, event.seq));
            if (event.event !== VideoCallEvent.REQUEST) continue;
            answered.push(
              s.schedule(Promise.resolve(), `${userId}'s ${deviceId} answers ${event.userId}`).then(() =>
                switchboard.control({ from: userId, sessionId, event: VideoCallEvent.REPLY, userId: event.userId, errorCode: 0, flags: 0, param: 0, userStr: '' }),
              ),
            );
          }
        };
        backend.listen({ events: (userId, deviceId) => void answer(userId, deviceId), kick() {} });
        let asked = 0;
        // The business server answers each REQUEST when the scheduler says so: allow, or veto.
        switchboard.setAuthorizer((call) => s.schedule(Promise.resolve(vetoes[asked++ % vetoes.length] ? 7001 : 0), `decision on ${call.caller}→${call.callee}`));
        for (const id of USERS) {
          for (const deviceId of DEVICES) {
            await switchboard.handle({ kind: 'connect', userId: id, deviceId, newSessionId: sessionOf(id, deviceId), node: 'local', connectionId: `c-${id}-${deviceId}` });
          }
        }

        const run = async (o: Op): Promise<void> => {
          if (o.kind === 'control') {
            const event = VideoCallEvent[o.event] as VideoCallEventType;
            const from = USERS[o.from]!;
            await switchboard.control({ from, sessionId: sessionOf(from, DEVICES[o.device]!), event, userId: USERS[o.to]!, errorCode: o.code, flags: 3, param: 0, userStr: '' });
          } else if (o.kind === 'force-finish') {
            await switchboard.handle({ kind: 'force-finish', userId: USERS[o.user]!, errorCode: 8001, userStr: '', by: 'business' });
          } else {
            now += RING_MS + 1;
            for (const call of await backend.liveCalls()) await switchboard.handle({ kind: 'ring-expired', callId: call.callId });
          }
        };
        const running = ops.map((o, i) => s.schedule(Promise.resolve(), `op ${i}: ${JSON.stringify(o)}`).then(() => run(o)));
        await s.waitFor(Promise.all(running));
        // Whatever still waits (business answers, devices answering, which may schedule more)
        // gets its turn; then the business server ends what is left.
        do {
          await s.waitAll();
          await new Promise((resolve) => setImmediate(resolve));
        } while (s.count() > 0);
        await Promise.all(answered);
        for (const id of USERS) await switchboard.handle({ kind: 'force-finish', userId: id, errorCode: 0, userStr: '', by: 'business' });

        expect(await backend.liveCalls()).toEqual([]);
        // Per call, per user, per device: the call events that device got.
        const streams = new Map<string, Map<string, Map<string, EventMessage[]>>>();
        for (const id of USERS) {
          const { user: record } = await backend.inspect(id);
          expect(record?.callId, `${id} is idle at the end`).toBeNull();
          for (const deviceId of DEVICES) {
            const messages = (await backend.eventsAfter(id, deviceId, sessionOf(id, deviceId), 0)) ?? [];
            messages.forEach((message, i) => expect(message.seq).toBe(i + 1));
            for (const event of messages.filter(isEvent)) {
              const byUser = streams.get(event.callId) ?? new Map<string, Map<string, EventMessage[]>>();
              streams.set(event.callId, byUser);
              const byDevice = byUser.get(id) ?? new Map<string, EventMessage[]>();
              byUser.set(id, byDevice);
              byDevice.set(deviceId, [...(byDevice.get(deviceId) ?? []), event]);
            }
          }
        }
        for (const [callId, byUser] of streams) {
          const parties = new Set<string>(byUser.keys());
          for (const byDevice of byUser.values()) for (const events of byDevice.values()) for (const event of events) if (event.errorCode !== ErrorCode.SELF_CALL) parties.add(event.userId);
          expect(parties.size, `call ${callId} has two parties at most`).toBeLessThanOrEqual(2);
          const shapes = new Map([...byUser].map(([id, byDevice]) => [id, [...byDevice.values()].map((events) => events.map(token).join(''))]));
          for (const [id, byDevice] of byUser) {
            const peerRefused = [...shapes].some(([other, own]) => other !== id && own.some((shape) => shape.endsWith('x')));
            for (const [deviceId, events] of byDevice) {
              const shape = events.map(token).join('');
              seen.set(shape, (seen.get(shape) ?? 0) + 1);
              // Only the device that refused is left with its REQUEST alone; the others hear FINISH.
              const complete = peerRefused ? /^(a?x|a?SF|a?F|RSF|RF|R)$/ : /^(a?x|a?SF|a?F|RSF|RF)$/;
              expect(shape, `${id}'s ${deviceId} in ${callId}: one outcome, each START followed by one FINISH`).toMatch(complete);
            }
            const own = shapes.get(id)!;
            expect(own.filter((shape) => shape.includes('S')).length, `${id} started ${callId} on one device at most`).toBeLessThanOrEqual(1);
            expect(own.filter((shape) => /^[ax]|^F/.test(shape)).length, `${id} called from one device in ${callId}`).toBeLessThanOrEqual(1);
            expect(own.filter((shape) => shape === 'R').length, `${id} refused ${callId} on one device at most`).toBeLessThanOrEqual(1);
            const elsewhere = [...byDevice.values()].some((events) => events.at(-1)?.errorCode === ErrorCode.ANSWERED_ELSEWHERE);
            if (elsewhere) {
              expect(own.filter((shape) => shape === 'RSF'), `${id} answered ${callId} elsewhere`).toHaveLength(1);
              seen.set('answered elsewhere', (seen.get('answered elsewhere') ?? 0) + 1);
            }
          }
        }
      }),
      { numRuns: 500 },
    );
    // The runs must have reached every kind of ending: started and finished, refused or vetoed,
    // cancelled or ended while ringing.
    const atLeast: [string, number][] = [['aSF', 50], ['RSF', 50], ['x', 150], ['F', 10], ['RF', 8], ['aF', 3], ['answered elsewhere', 30]];
    for (const [shape, count] of atLeast) expect(seen.get(shape) ?? 0, `calls seen as ${shape}`).toBeGreaterThan(count);
  });
});
