/**
 * Which business link gets which event: LinkDispatch alone, with links that record what they are
 * sent (the sockets themselves are covered by test/integration/business-*.test.ts).
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { BusinessEventMessage, BusinessLinkEvent, BusinessPushMessage, BusinessQueueEventMessage } from '@callgate/protocol';
import { LinkDispatch, type EventReceiver } from '../src/business/link-dispatch.js';

class RecordingLink implements EventReceiver {
  readonly sent: string[] = [];
  constructor(
    readonly linkId: string,
    readonly push = false,
  ) {}
  sendEvent(event: BusinessLinkEvent): void {
    this.sent.push(event.id);
  }
}

const quiet = pino({ level: 'silent' });

function event(id: string, callId: string): BusinessEventMessage {
  return { type: 'event', id, callId, event: 4, srcUserId: 'a', tarUserId: 'b', errorCode: 0, flags: 0, param: 0, userStr: '', at: 0, decide: false };
}

describe('LinkDispatch', () => {
  it('keeps each call on one link and gives new calls to the links in turn', () => {
    const dispatch = new LinkDispatch(quiet);
    const [l1, l2] = [new RecordingLink('l1'), new RecordingLink('l2')];
    dispatch.attach(l1);
    dispatch.attach(l2);
    dispatch.notify(event('x1', 'x'), false);
    dispatch.notify(event('y1', 'y'), false);
    dispatch.notify(event('x2', 'x'), true);
    dispatch.notify(event('y2', 'y'), true);
    dispatch.notify(event('z1', 'z'), true);
    expect(l1.sent).toEqual(['x1', 'x2', 'z1']);
    expect(l2.sent).toEqual(['y1', 'y2']);
  });

  it('hands a lost link’s unacknowledged events, in order, to another; acknowledged ones stay done', () => {
    const dispatch = new LinkDispatch(quiet);
    const [l1, l2] = [new RecordingLink('l1'), new RecordingLink('l2')];
    dispatch.attach(l1);
    dispatch.notify(event('x1', 'x'), false);
    dispatch.notify(event('x2', 'x'), false);
    dispatch.notify(event('x3', 'x'), false);
    dispatch.ack('x1', {});
    dispatch.attach(l2);
    dispatch.detach(l1);
    expect(l2.sent).toEqual(['x2', 'x3']);
    dispatch.notify(event('x4', 'x'), true);
    expect(l2.sent).toEqual(['x2', 'x3', 'x4']);
  });

  it('keeps nothing before any link connected; afterwards keeps events for the next link', async () => {
    const dispatch = new LinkDispatch(quiet);
    dispatch.notify(event('early', 'e'), true);
    await expect(dispatch.decide(event('asked', 'a'))).resolves.toMatchObject({ error: expect.any(String) });
    const l1 = new RecordingLink('l1');
    dispatch.attach(l1);
    expect(l1.sent).toEqual([]);
    dispatch.detach(l1);
    dispatch.notify(event('while-away', 'w'), true);
    const answer = dispatch.decide(event('decide-later', 'd'));
    const l2 = new RecordingLink('l2');
    dispatch.attach(l2);
    expect(l2.sent).toEqual(['while-away', 'decide-later']);
    dispatch.ack('decide-later', { errorCode: 7 });
    await expect(answer).resolves.toEqual({ errorCode: 7 });
  });

  it('drops the oldest event beyond its capacity and answers a dropped decision', async () => {
    const dispatch = new LinkDispatch(quiet, 2);
    const link = new RecordingLink('l1');
    dispatch.attach(link);
    const first = dispatch.decide(event('e1', 'a'));
    dispatch.notify(event('e2', 'b'), true);
    dispatch.notify(event('e3', 'c'), true);
    await expect(first).resolves.toMatchObject({ error: expect.stringMatching(/too many/) });
    dispatch.detach(link);
    const next = new RecordingLink('l2');
    dispatch.attach(next);
    expect(next.sent).toEqual(['e2', 'e3']);
  });
});

function push(id: string, callId: string): BusinessPushMessage {
  return { type: 'push', id, step: 'wake', callId, caller: 'a', callee: 'b', flags: 0, param: 0, userStr: '', until: 0, at: 0 };
}

describe('LinkDispatch: pushes', () => {
  it('gives pushes only to links that send them, and keeps them for such a link until one comes', () => {
    const dispatch = new LinkDispatch(quiet);
    const plain = new RecordingLink('plain');
    dispatch.attach(plain);
    dispatch.notify(push('p1', 'x'), false);
    dispatch.notify(event('e1', 'y'), true);
    expect(plain.sent).toEqual(['e1']);
    expect(dispatch.pushLinkCount).toBe(0);
    const pusher = new RecordingLink('pusher', true);
    dispatch.attach(pusher);
    expect(pusher.sent).toEqual(['p1']);
    expect(dispatch.pushLinkCount).toBe(1);
    dispatch.notify(push('p2', 'z'), true);
    expect(pusher.sent).toEqual(['p1', 'p2']);
    expect(plain.sent).toEqual(['e1']);
  });
});

function step(id: string, entryId: string): BusinessQueueEventMessage {
  return { type: 'queue-event', id, step: 'offered', entryId, queue: 'q', customer: 'c', at: 0 };
}

describe('LinkDispatch: queue entry steps', () => {
  it('keeps an entry on the link that holds its unacknowledged steps; once all are acked the entry takes its turn', () => {
    const dispatch = new LinkDispatch(quiet);
    const [l1, l2] = [new RecordingLink('l1'), new RecordingLink('l2')];
    dispatch.attach(l1);
    dispatch.attach(l2);
    dispatch.notify(step('s1', 'e'), false);
    dispatch.notify(step('s2', 'e'), false);
    expect(l1.sent).toEqual(['s1', 's2']);
    dispatch.ack('s1', {});
    dispatch.notify(step('s3', 'e'), false);
    expect(l1.sent).toEqual(['s1', 's2', 's3']);
    dispatch.ack('s2', {});
    dispatch.ack('s3', {});
    dispatch.notify(step('s4', 'e'), false);
    expect(l2.sent).toEqual(['s4']);
  });

  it('drops an entry decision answered without the links instead of asking again', async () => {
    const dispatch = new LinkDispatch(quiet);
    const l1 = new RecordingLink('l1');
    dispatch.attach(l1);
    const asked = dispatch.decide({ type: 'queue-entry', id: 'q1', customer: 'c', queue: 'q', flags: 0, param: 0, userStr: '', at: 0 });
    dispatch.decided('q1');
    const l2 = new RecordingLink('l2');
    dispatch.attach(l2);
    dispatch.detach(l1);
    expect(l2.sent).toEqual([]);
    dispatch.ack('q1', { errorCode: 0 });
    const settled = await Promise.race([asked.then(() => 'answered'), new Promise((r) => setTimeout(() => r('waiting'), 20))]);
    expect(settled).toBe('waiting');
  });
});
