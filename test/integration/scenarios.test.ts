import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { VideoCallEvent, type VideoCallEventType } from '@callgate/client';
import { BusinessClient } from '@callgate/business';

import { TEST_BUSINESS_SECRET, startTestServer, type TestServer } from '../support/servers.js';
import { TestUser, type ReceivedEvent } from '../support/test-user.js';

type Fields = Partial<Record<'errorCode' | 'flags' | 'param' | 'userStr', number | string>>;
type EventName = keyof typeof VideoCallEvent;
type Step =
  | { do: [string, EventName, string, Fields] }
  | { expect: [string, EventName, string, Fields] }
  | { none: [string] }
  | { drop: string }
  | { reconnect: string }
  | { expire: 'ring' | 'grace' }
  | { business: [EventName, string, Fields] };
interface Scenario {
  name: string;
  users: string[];
  steps: Step[];
}

const { scenarios } = JSON.parse(readFileSync(new URL('../scenarios/calls.json', import.meta.url), 'utf8')) as {
  scenarios: Scenario[];
};

/** Short timers only where a scenario lets them expire, so they cannot fire in the others. */
function timersFor(scenario: Scenario): { ringTimeoutMs: number; graceMs: number } {
  const expires = (what: string): boolean => scenario.steps.some((step) => 'expire' in step && step.expire === what);
  return { ringTimeoutMs: expires('ring') ? 400 : 60_000, graceMs: expires('grace') ? 400 : 10_000 };
}

let server: TestServer | undefined;
const users = new Map<string, TestUser>();

afterEach(async () => {
  await Promise.all([...users.values()].map((user) => user.close()));
  users.clear();
  await server?.close();
  server = undefined;
});

describe('the call rules as scenarios (test/scenarios/calls.json) against a real server and SDK clients', () => {
  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      server = await startTestServer(timersFor(scenario));
      for (const name of scenario.users) users.set(name, await TestUser.connect(server, name));
      const bound = new Map<string, number | string>();
      const user = (name: string): TestUser => {
        const found = users.get(name);
        if (!found) throw new Error(`scenario names unknown user ${name}`);
        return found;
      };

      for (const step of scenario.steps) {
        if ('do' in step) {
          const [name, event, peer, fields] = step.do;
          const code = user(name).client.videoCallControl(
            VideoCallEvent[event] as VideoCallEventType,
            peer,
            Number(fields.errorCode ?? 0),
            Number(fields.flags ?? 0),
            Number(fields.param ?? 0),
            String(fields.userStr ?? ''),
          );
          expect(code, `videoCallControl by ${name}`).toBe(0);
        } else if ('expect' in step) {
          const [name, event, peer, fields] = step.expect;
          const received = await user(name).events.next(`${name} to get ${event} from ${peer}`);
          const expected: Partial<ReceivedEvent> = { event: VideoCallEvent[event], userId: peer };
          for (const [field, value] of Object.entries(fields) as [keyof Fields, number | string][]) {
            if (typeof value === 'string' && value.startsWith('$')) {
              if (!bound.has(value)) bound.set(value, received[field]);
              expected[field] = bound.get(value) as never;
            } else {
              expected[field] = value as never;
            }
          }
          expect(received, `${name}'s next event`).toMatchObject(expected);
        } else if ('none' in step) {
          const [name] = step.none;
          expect(await user(name).events.drain(300), `${name} should hear nothing more`).toEqual([]);
        } else if ('drop' in step) {
          user(step.drop).drop();
        } else if ('reconnect' in step) {
          await user(step.reconnect).reconnect();
        } else if ('business' in step) {
          const [event, name, fields] = step.business;
          const business = new BusinessClient({ url: server.url, secret: TEST_BUSINESS_SECRET });
          await business.connect();
          const control = business.videoCallControl(
            VideoCallEvent[event] as VideoCallEventType,
            name,
            Number(fields.errorCode ?? 0),
            Number(fields.flags ?? 0),
            Number(fields.param ?? 0),
            String(fields.userStr ?? ''),
          );
          expect(await control, `business ${event} of ${name}'s call`).toBe(0);
          business.close();
        }
        // 'expire' needs no action: the short timer runs out while the next 'expect' waits.
      }
      if (scenario.name === 'not in a call') {
        const errors = [await user('A').errors.next('NOTINCALL'), await user('A').errors.next('NOTINCALL')];
        expect(errors.map((error) => error.code)).toEqual([100107, 100107]);
      }
    });
  }
});
