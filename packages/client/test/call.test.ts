/**
 * The Call object alone: how server events move its state (test/integration drives it over a
 * real server through CallClient).
 */
import { describe, expect, it } from 'vitest';
import { Call } from '../src/call.js';
import { ErrorCode, VideoCallEvent } from '../src/index.js';

const { REPLY, START, FINISH } = VideoCallEvent;

function outgoing(): { call: Call; sent: unknown[][]; heard: string[] } {
  const sent: unknown[][] = [];
  const call = new Call(async (...args) => void sent.push(args), 'bob', 'outgoing', { callId: null, flags: 3, param: 0, userStr: '' });
  const heard: string[] = [];
  call.on('ringing', () => heard.push('ringing'));
  call.on('started', (roomId) => heard.push(`started ${roomId}`));
  call.on('ended', (code) => heard.push(`ended ${code}`));
  return { call, sent, heard };
}

describe('Call', () => {
  it('goes dialing → ringing → talking → ended on REPLY 0, START and FINISH, once each', () => {
    const { call, heard } = outgoing();
    expect(call.state).toBe('dialing');
    call.apply({ event: REPLY, errorCode: 0, param: 0, userStr: '' });
    call.apply({ event: REPLY, errorCode: 0, param: 0, userStr: '' });
    expect(call.state).toBe('ringing');
    call.apply({ event: START, errorCode: 0, param: 77, userStr: '' });
    expect(call).toMatchObject({ state: 'talking', roomId: 77 });
    expect(call.apply({ event: FINISH, errorCode: 0, param: 0, userStr: '' })).toBe(true);
    call.apply({ event: FINISH, errorCode: 5, param: 0, userStr: '' });
    expect(call).toMatchObject({ state: 'ended', endCode: 0, isLive: false });
    expect(heard).toEqual(['ringing', 'started 77', 'ended 0']);
  });

  it('ends on a refusing REPLY with its code', () => {
    const { call, heard } = outgoing();
    expect(call.apply({ event: REPLY, errorCode: ErrorCode.BUSY, param: 0, userStr: '' })).toBe(true);
    expect(call.endCode).toBe(ErrorCode.BUSY);
    expect(heard).toEqual([`ended ${ErrorCode.BUSY}`]);
  });

  it('an incoming call starts ringing; reject sends REPLY with the code and ends here too', async () => {
    const sent: unknown[][] = [];
    const call = new Call(async (...args) => void sent.push(args), 'alice', 'incoming', { callId: 'c1', flags: 1, param: 9, userStr: 'hi' });
    expect(call).toMatchObject({ state: 'ringing', flags: 1, param: 9, userStr: 'hi' });
    await call.reject();
    expect(sent).toEqual([[REPLY, 'alice', ErrorCode.REJECT, {}]]);
    expect(call).toMatchObject({ state: 'ended', endCode: ErrorCode.REJECT });
  });

  it('accept and hangup send REPLY 0 and FINISH about the peer', async () => {
    const { call, sent } = outgoing();
    await call.accept({ userStr: 'yes' });
    await call.hangup(7, { param: 1 });
    expect(sent).toEqual([
      [REPLY, 'bob', 0, { userStr: 'yes' }],
      [FINISH, 'bob', 7, { param: 1 }],
    ]);
  });
});
