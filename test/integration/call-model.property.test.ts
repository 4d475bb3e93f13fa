import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent, type VideoCallEventType } from '@callgate/client';
import type { EventMessage } from '@callgate/protocol';

import { sleep, startTestServer, type TestServer } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

/**
 * Model-based test over a live server: random controls, drops, resumes, business force-finishes
 * and timeouts by three real SDK clients, with rule 7 (docs/architecture.md) checked on what every client
 * actually received after each step.
 */

const NAMES = ['ann', 'ben', 'cat'] as const;
type Name = (typeof NAMES)[number];

interface World {
  server: TestServer;
  users: Map<Name, TestUser>;
  /** Every event each user received, with its call id. */
  received: Map<Name, EventMessage[]>;
  dropped: Set<Name>;
  /** Calls a user saw in a session it could not resume: their ends went to the old session. */
  lost: Map<Name, Set<string>>;
}

interface Model {
  dropped: Set<Name>;
}

const RING_MS = 400;
const GRACE_MS = 400;

async function settle(): Promise<void> {
  await sleep(40);
}

/** What each call looked like to each of its parties. */
function streams(world: World): Map<string, Map<Name, EventMessage[]>> {
  const byCall = new Map<string, Map<Name, EventMessage[]>>();
  for (const [name, events] of world.received) {
    for (const event of events) {
      const perUser = byCall.get(event.callId) ?? new Map<Name, EventMessage[]>();
      byCall.set(event.callId, perUser);
      perUser.set(name, [...(perUser.get(name) ?? []), event]);
    }
  }
  return byCall;
}

const token = (event: EventMessage): string =>
  event.event === VideoCallEvent.REPLY ? (event.errorCode === 0 ? 'a' : 'x') : ({ 1: 'R', 3: 'S', 4: 'F' } as Record<number, string>)[event.event]!;

/** Rule 7 on what was received: events only to the two parties, each naming the other, in an order §4 allows. */
function checkInvariants(world: World, final: boolean): void {
  for (const [callId, perUser] of streams(world)) {
    const parties = new Set<string>(perUser.keys());
    for (const events of perUser.values()) for (const event of events) parties.add(event.userId);
    expect(parties.size, `call ${callId} involves ${[...parties].join(',')}`).toBeLessThanOrEqual(2);
    for (const [name, events] of perUser) {
      for (const event of events) {
        if (event.errorCode !== ErrorCode.SELF_CALL) expect(event.userId, `${name} hears about itself in ${callId}`).not.toBe(name);
      }
      const shape = events.map(token).join('');
      // Caller: ringing ack, then one outcome (a refusal, or START then FINISH, or FINISH).
      // Callee: REQUEST, then START then FINISH, or FINISH.
      expect(shape, `${name}'s events in ${callId}`).toMatch(/^(a?(x|SF?|F)?|RS?F?)$/);
      if (final && !world.lost.get(name)?.has(callId)) {
        // A callee that refused hears nothing more: its peer's refusal (x) shows the call ended.
        const peerRefused = [...perUser.entries()].some(([other, events]) => other !== name && events.map(token).join('').endsWith('x'));
        expect(shape, `${name}'s call ${callId} ended`).toMatch(peerRefused ? /^(a?x|a?SF|a?F|RSF|RF|R)$/ : /^(a?x|a?SF|a?F|RSF|RF)$/);
      }
    }
  }
}

class Control implements fc.AsyncCommand<Model, World> {
  constructor(
    readonly from: Name,
    readonly event: VideoCallEventType,
    readonly to: Name,
    readonly code: number,
  ) {}
  check = (): boolean => true;
  async run(_model: Model, world: World): Promise<void> {
    world.users.get(this.from)!.client.videoCallControl(this.event, this.to, this.code);
    await settle();
    checkInvariants(world, false);
  }
  toString = (): string => `${this.from} ${this.event}(${this.code}) → ${this.to}`;
}

class Drop implements fc.AsyncCommand<Model, World> {
  constructor(readonly who: Name) {}
  check = (model: Readonly<Model>): boolean => !model.dropped.has(this.who);
  async run(model: Model, world: World): Promise<void> {
    model.dropped.add(this.who);
    world.dropped.add(this.who);
    world.users.get(this.who)!.drop();
    await settle();
    checkInvariants(world, false);
  }
  toString = (): string => `drop ${this.who}`;
}

class Restore implements fc.AsyncCommand<Model, World> {
  constructor(readonly who: Name) {}
  check = (model: Readonly<Model>): boolean => model.dropped.has(this.who);
  async run(model: Model, world: World): Promise<void> {
    model.dropped.delete(this.who);
    await world.users.get(this.who)!.reconnect();
    world.dropped.delete(this.who);
    await settle();
    checkInvariants(world, false);
  }
  toString = (): string => `restore ${this.who}`;
}

class ForceFinish implements fc.AsyncCommand<Model, World> {
  constructor(readonly who: Name) {}
  check = (): boolean => true;
  async run(_model: Model, world: World): Promise<void> {
    await world.server.finishCall(this.who, 8001);
    await settle();
    checkInvariants(world, false);
  }
  toString = (): string => `business finishes ${this.who}`;
}

class Wait implements fc.AsyncCommand<Model, World> {
  constructor(readonly ms: number) {}
  check = (): boolean => true;
  async run(_model: Model, world: World): Promise<void> {
    await sleep(this.ms);
    checkInvariants(world, false);
  }
  toString = (): string => `wait ${this.ms} ms`;
}

const name = fc.constantFrom(...NAMES);
const commands = [
  fc.tuple(name, name).map(([a, b]) => new Control(a, VideoCallEvent.REQUEST, b, 0)),
  fc.tuple(name, name, fc.constantFrom(0, 0, ErrorCode.REJECT, ErrorCode.CANCEL, 4242)).map(
    ([a, b, code]) => new Control(a, VideoCallEvent.REPLY, b, code),
  ),
  fc.tuple(name, name).map(([a, b]) => new Control(a, VideoCallEvent.FINISH, b, 0)),
  name.map((who) => new Drop(who)),
  name.map((who) => new Restore(who)),
  name.map((who) => new ForceFinish(who)),
  fc.constantFrom(50, RING_MS + 100).map((ms) => new Wait(ms)),
];

describe('model-based: random sessions against a live server (fast-check)', () => {
  it('keeps rule 7 of the call rules after every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 14 }), async (cmds) => {
        const server = await startTestServer({ ringTimeoutMs: RING_MS, graceMs: GRACE_MS });
        const world: World = { server, users: new Map(), received: new Map(), dropped: new Set(), lost: new Map() };
        try {
          for (const who of NAMES) {
            const user = await TestUser.connect(server, who);
            world.users.set(who, user);
            world.received.set(who, []);
            user.client.on('event', (event) => world.received.get(who)!.push(event));
            user.client.on('connection-state', (state) => {
              if (state !== 'connected' || user.client.welcome?.resumed) return;
              world.lost.set(who, new Set(world.received.get(who)!.map((event) => event.callId)));
            });
          }
          await fc.asyncModelRun(() => ({ model: { dropped: new Set<Name>() }, real: world }), cmds);
          // Everyone comes back, every timer runs out, the business server ends what is left:
          // then every call has ended for every party and everyone is free.
          for (const who of [...world.dropped]) await world.users.get(who)!.reconnect();
          world.dropped.clear();
          await sleep(RING_MS + GRACE_MS + 200);
          for (const who of NAMES) await server.finishCall(who, 0); // talking calls never end by themselves
          await settle();
          checkInvariants(world, true);
          for (const who of NAMES) expect(await server.finishCall(who, 0), `${who} is idle`).toBe(ErrorCode.NOTINCALL);
        } finally {
          await Promise.all([...world.users.values()].map((u) => u.close()));
          await server.close();
        }
      }),
      { numRuns: 10 },
    );
  }, 120_000);
});
