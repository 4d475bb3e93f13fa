// Alice calls Bob, Bob accepts, both get START with the same roomId, Alice hangs up.
// ("Bob" is whoever the second token is for; a refused call ends the example.)
// The two clients get their events at the same time, so the example prints them once the call is
// over, in a fixed order: REQUEST, REPLY, START, FINISH, the caller's line before the callee's.
// Usage: node examples/two-clients.mjs <alice-token> <bob-token> [ws://127.0.0.1:8080]
import { CallClient, VideoCallEvent } from '@callgate/client';

const [aliceToken, bobToken, url = 'ws://127.0.0.1:8080'] = process.argv.slice(2);
const names = { 1: 'REQUEST', 2: 'REPLY', 3: 'START', 4: 'FINISH' };
const alice = new CallClient({ url, token: aliceToken });
const bob = new CallClient({ url, token: bobToken });
const received = []; // { event, side: 0 for the caller, 1 for the callee, line }
const finished = new Set();
let callOver;
const over = new Promise((resolve) => (callOver = resolve));

for (const [me, client] of [['alice', alice], ['bob', bob]]) {
  client.setVideoCallEventCallback((event, userId, errorCode, flags, param, userStr) => {
    const line = `${client.userId}: ${names[event]} from ${userId} errorCode=${errorCode} param=${param}${userStr ? ` ${userStr}` : ''}`;
    received.push({ event, side: me === 'alice' ? 0 : 1, line });
    if (me === 'bob' && event === VideoCallEvent.REQUEST) bob.videoCallControl(VideoCallEvent.REPLY, userId, 0);
    if (me === 'alice' && event === VideoCallEvent.START) setTimeout(() => alice.videoCallControl(VideoCallEvent.FINISH, userId), 500);
    if (event === VideoCallEvent.FINISH) finished.add(me);
    if (finished.size === 2 || (me === 'alice' && event === VideoCallEvent.REPLY && errorCode !== 0)) callOver();
  });
}
await Promise.all([alice.connect(), bob.connect()]);
alice.videoCallControl(VideoCallEvent.REQUEST, bob.userId, 0, 3, 0, 'Hello Bob');
await over;
alice.close();
bob.close();
received.sort((a, b) => a.event - b.event || a.side - b.side);
for (const { line } of received) console.log(line);
