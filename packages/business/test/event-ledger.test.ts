/** The business SDK's ledger alone: each event answered once, a call's events one after another. */
import { describe, expect, it } from 'vitest';
import type { BusinessEventMessage } from '@callgate/protocol';
import { EventLedger } from '../src/event-ledger.js';

const event = (id: string, callId: string): BusinessEventMessage => ({
  type: 'event',
  id,
  callId,
  event: 1,
  srcUserId: 'a',
  tarUserId: 'b',
  errorCode: 0,
  flags: 0,
  param: 0,
  userStr: '',
  at: 0,
  decide: false,
});

describe('EventLedger', () => {
  it('answers an event delivered again with its first answer, without running the callback twice', async () => {
    const ledger = new EventLedger();
    let runs = 0;
    const handle = async () => ({ errorCode: ++runs });
    expect(await ledger.answer(event('e1', 'c1'), handle)).toEqual({ errorCode: 1 });
    expect(await ledger.answer(event('e1', 'c1'), handle)).toEqual({ errorCode: 1 });
    expect(runs).toBe(1);
  });

  it("runs a call's events in order, one after another, and other calls beside them", async () => {
    const ledger = new EventLedger();
    const log: string[] = [];
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => (release = resolve));
    const first = ledger.answer(event('e1', 'c1'), async () => {
      log.push('c1 first starts');
      await slow;
      log.push('c1 first ends');
      return {};
    });
    const second = ledger.answer(event('e2', 'c1'), async () => {
      log.push('c1 second');
      return {};
    });
    await ledger.answer(event('e3', 'c2'), async () => {
      log.push('c2');
      return {};
    });
    release();
    await Promise.all([first, second]);
    expect(log).toEqual(['c1 first starts', 'c2', 'c1 first ends', 'c1 second']);
  });

  it('forgets the oldest answers beyond its capacity', async () => {
    const ledger = new EventLedger(2);
    let runs = 0;
    const handle = async () => ({ errorCode: ++runs });
    for (const id of ['e1', 'e2', 'e3']) await ledger.answer(event(id, id), handle);
    expect(await ledger.answer(event('e1', 'e1'), handle)).toEqual({ errorCode: 4 });
    expect(await ledger.answer(event('e3', 'e3'), handle)).toEqual({ errorCode: 3 });
  });
});
