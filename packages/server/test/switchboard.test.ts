/** The switchboard over the memory backend: what it hands its listeners after each decision. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { VideoCallEvent } from '@callgate/protocol';
import type { CallTransition } from '../src/calls/types.js';
import { MemoryStateBackend } from '../src/state/memory-backend.js';
import { Switchboard } from '../src/switchboard.js';

describe('Switchboard', () => {
  it('a transition listener that throws is logged and keeps no other listener from hearing', async () => {
    const logged: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) });
    const backend = new MemoryStateBackend();
    const switchboard = new Switchboard({ backend, logger, ringTimeoutMs: 60_000, graceMs: 0 });
    const heard: string[] = [];
    switchboard.onTransition(() => {
      throw new Error('listener broke');
    });
    switchboard.onTransition((transition: CallTransition) => heard.push(transition.type));
    for (const userId of ['a', 'b']) {
      await switchboard.handle({ kind: 'connect', userId, newSessionId: `s-${userId}`, node: 'local', connectionId: `c-${userId}` });
    }
    const result = await switchboard.control({ from: 'a', sessionId: 's-a', event: VideoCallEvent.REQUEST, userId: 'b', errorCode: 0, flags: 0, param: 0, userStr: '' });
    expect(result).toEqual({ ok: true });
    expect(heard).toEqual(['requested', 'ringing']);
    expect(logged.join('\n')).toMatch(/a call transition listener failed.*listener broke|listener broke.*a call transition listener failed/s);
    await backend.close();
  });
});
