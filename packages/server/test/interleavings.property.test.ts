/**
 * Rule 7 (docs/architecture.md) under concurrency: controls, business decisions and force-finishes issued at
 * once against the switchboard and the memory backend, their start and the business server's
 * answers ordered by fast-check's scheduler, so that every interleaving of their awaits is tried.
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent, type EventMessage, type SequencedMessage, type VideoCallEventType } from '@callgate/protocol';
import { MemoryStateBackend } from '../src/state/memory-backend.js';
import { Switchboard } from '../src/switchboard.js';

const isEvent = (message: SequencedMessage): message is EventMessage => message.type === 'event';

const USERS = ['u1', 'u2', 'u3'] as const;
const RING_MS = 60_000;

type Op =
  | { kind: 'control'; from: number; to: number; event: 'REQUEST' | 'REPLY' | 'FINISH'; code: number }
  | { kind: 'force-finish'; user: number }
  | { kind: 'ring-out' };

const user = fc.nat({ max: USERS.length - 1 });
const control = (event: 'REQUEST' | 'REPLY' | 'FINISH', code: fc.Arbitrary<number>): fc.Arbitrary<Op> =>
  fc.record({ kind: fc.constant('control' as const), from: user, to: user, event: fc.constant(event), code });
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
        // A callee's device answers each REQUEST it gets, at a moment the scheduler picks (unless
        // the call is already over by then, which is one of the races under test).
        const seenSeq = new Map<string, number>();
        const answered: Promise<unknown>[] = [];
        const answer = async (userId: string): Promise<void> => {
          const events = ((await backend.eventsAfter(userId, `s-${userId}`, seenSeq.get(userId) ?? 0)) ?? []).filter(isEvent);
          for (const event of events) {
            seenSeq.set(userId, Math.max(seenSeq.get(userId) ?? 0, event.seq));
            if (event.event !== VideoCallEvent.REQUEST) continue;
            answered.push(
              s.schedule(Promise.resolve(), `${userId} answers ${event.userId}`).then(() =>
                switchboard.control({ from: userId, sessionId: `s-${userId}`, event: VideoCallEvent.REPLY, userId: event.userId, errorCode: 0, flags: 0, param: 0, userStr: '' }),
              ),
            );
          }
        };
        backend.listen({ events: (userId) => void answer(userId), kick() {} });
        let asked = 0;
        // The business server answers each REQUEST when the scheduler says so: allow, or veto.
        switchboard.setAuthorizer((call) => s.schedule(Promise.resolve(vetoes[asked++ % vetoes.length] ? 7001 : 0), `decision on ${call.caller}→${call.callee}`));
        for (const id of USERS) {
          await switchboard.handle({ kind: 'connect', userId: id, newSessionId: `s-${id}`, node: 'local', connectionId: `c-${id}` });
        }

        const run = async (o: Op): Promise<void> => {
          if (o.kind === 'control') {
            const event = VideoCallEvent[o.event] as VideoCallEventType;
            await switchboard.control({ from: USERS[o.from]!, sessionId: `s-${USERS[o.from]}`, event, userId: USERS[o.to]!, errorCode: o.code, flags: 3, param: 0, userStr: '' });
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
        const streams = new Map<string, Map<string, EventMessage[]>>();
        for (const id of USERS) {
          const { user: record } = await backend.inspect(id);
          expect(record?.callId, `${id} is idle at the end`).toBeNull();
          const events = ((await backend.eventsAfter(id, `s-${id}`, 0)) ?? []).filter(isEvent);
          events.forEach((event, i) => expect(event.seq).toBe(i + 1));
          for (const event of events) {
            const byUser = streams.get(event.callId) ?? new Map<string, EventMessage[]>();
            streams.set(event.callId, byUser);
            byUser.set(id, [...(byUser.get(id) ?? []), event]);
          }
        }
        for (const [callId, byUser] of streams) {
          const parties = new Set<string>(byUser.keys());
          for (const events of byUser.values()) for (const event of events) if (event.errorCode !== ErrorCode.SELF_CALL) parties.add(event.userId);
          expect(parties.size, `call ${callId} has two parties at most`).toBeLessThanOrEqual(2);
          for (const [id, events] of byUser) {
            const shape = events.map(token).join('');
            seen.set(shape, (seen.get(shape) ?? 0) + 1);
            const peerRefused = [...byUser.entries()].some(([other, evs]) => other !== id && evs.map(token).join('').endsWith('x'));
            const complete = peerRefused ? /^(a?x|a?SF|a?F|RSF|RF|R)$/ : /^(a?x|a?SF|a?F|RSF|RF)$/;
            expect(shape, `${id}'s events in ${callId}: one outcome, each START followed by one FINISH`).toMatch(complete);
          }
        }
      }),
      { numRuns: 500 },
    );
    // The runs must have reached every kind of ending: started and finished, refused or vetoed,
    // cancelled or ended while ringing.
    const atLeast: [string, number][] = [['aSF', 50], ['RSF', 50], ['x', 150], ['F', 10], ['RF', 8], ['aF', 3]];
    for (const [shape, count] of atLeast) expect(seen.get(shape) ?? 0, `calls seen as ${shape}`).toBeGreaterThan(count);
  });
});
