import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, VideoCallEvent } from '@callgate/client';
import { parseClientMessage } from '@callgate/protocol';
import { createAccessToken } from '@callgate/server';
import { RawSocket } from '../support/raw-socket.js';
import { TEST_SECRET, startTestServer, type TestServer } from '../support/servers.js';
import { TestUser } from '../support/test-user.js';

let server: TestServer;
let fuzzer: RawSocket;
let probe: TestUser;

beforeAll(async () => {
  server = await startTestServer({
    limits: { messagesPerSecond: 1e6, messageBurst: 1e6, controlsPerSecond: 1e6, controlBurst: 1e6 },
  });
  probe = await TestUser.connect(server, 'probe');
  fuzzer = await RawSocket.open(server);
  fuzzer.send({ type: 'auth', token: await createAccessToken({ secret: TEST_SECRET, userId: 'fuzzer' }) });
  await fuzzer.next('welcome');
});
afterAll(async () => {
  fuzzer.close();
  await probe.close();
  await server.close();
});

const valid = {
  control: { type: 'control', id: 'c1', event: 1, userId: 'nobody', errorCode: 0, flags: 3, param: 7, userStr: 'hi' },
  auth: { type: 'auth', token: 'x' },
  ping: { type: 'ping' },
};

/** Values that are wrong for almost any field. */
const wrongValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.constantFrom(-1, 2 ** 32, 2 ** 53, Number.MAX_VALUE, 1.5, -0),
  fc.string({ maxLength: 20 }),
  fc.string({ minLength: 1025, maxLength: 1500 }),
  fc.array(fc.nat(), { maxLength: 3 }),
  fc.object({ maxDepth: 2 }),
  fc.letrec((tie) => ({ deep: fc.oneof({ depthSize: 'small' }, fc.constant({}), fc.record({ a: tie('deep') })) })).deep,
);

/** A valid message with one field replaced, removed or added. */
const mutated = fc
  .tuple(fc.constantFrom(...Object.values(valid)), fc.string({ maxLength: 12 }), wrongValue, fc.boolean())
  .map(([base, key, value, replace]) => {
    const copy: Record<string, unknown> = { ...base };
    const keys = Object.keys(copy);
    const target = replace ? (keys[key.length % keys.length] ?? key) : key;
    copy[target] = value;
    return JSON.stringify(copy);
  });

const garbage = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
  fc.anything({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'undefined'),
  fc.constantFrom('{', '[]', 'null', '"auth"', '{"type":"control"}', '\u0000', '{"type":"__proto__"}'),
);

/** Sends `text` and reads what the server answers, then checks that nothing changed for anyone. */
async function sendAndCheck(text: string): Promise<void> {
  const parsed = parseClientMessage(text);
  fuzzer.send(text);
  if (!parsed.ok) {
    expect(await fuzzer.next('an error')).toMatchObject({ type: 'error', code: ErrorCode.MALFORMED, name: 'MALFORMED' });
    return;
  }
  const message = parsed.message;
  if (message.type === 'ping') {
    expect(await fuzzer.next('pong')).toEqual({ type: 'pong' });
  } else if (message.type === 'auth') {
    expect(await fuzzer.next('an error')).toMatchObject({ type: 'error', code: ErrorCode.MALFORMED });
  } else if (message.type === 'refresh') {
    expect(await fuzzer.next('an error')).toMatchObject({ type: 'error' });
  } else {
    // A valid control reached the state machine: drain its answers and hang up whatever it started.
    const answers = await fuzzer.messages.drain(30);
    expect(answers.length).toBeGreaterThan(0);
    await server.finishCall('fuzzer', 0);
    await fuzzer.messages.drain(10);
    await probe.events.drain(10);
  }
}

describe('fuzzing the user endpoint (fast-check)', () => {
  it('answers every malformed or mutated message with MALFORMED, stays up and changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, garbage), async (text) => {
        await sendAndCheck(text);
      }),
      { numRuns: 400 },
    );
    // Nobody heard anything, and the fuzzer can still make a normal call.
    expect(await probe.events.drain(50)).toEqual([]);
    fuzzer.send({ type: 'control', event: VideoCallEvent.REQUEST, userId: 'probe' });
    expect(await probe.events.next('REQUEST')).toMatchObject({ event: VideoCallEvent.REQUEST, userId: 'fuzzer' });
    await server.finishCall('fuzzer', 0);
    await probe.events.next('FINISH');
  });

  it('closes a text frame that is not UTF-8 with 1007 and keeps serving others', async () => {
    const bad = await RawSocket.open(server);
    bad.send({ type: 'auth', token: await createAccessToken({ secret: TEST_SECRET, userId: 'utf' }) });
    await bad.next('welcome');
    bad.socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await bad.closed).code).toBe(1007);
    await fuzzer.messages.drain(20);
    fuzzer.send({ type: 'ping' });
    expect(await fuzzer.next('pong')).toEqual({ type: 'pong' });
  });
});
