// Alice calls Bob, Bob accepts, both print START with the same roomId, Alice hangs up.
// ("Bob" is whoever the second token is for; a refused call ends the example.)
// Usage: node examples/two-clients.mjs <alice-token> <bob-token> [ws://127.0.0.1:8080]
import { CallClient, VideoCallEvent } from '@callgate/client';

const [aliceToken, bobToken, url = 'ws://127.0.0.1:8080'] = process.argv.slice(2);
const names = { 1: 'REQUEST', 2: 'REPLY', 3: 'START', 4: 'FINISH' };
const alice = new CallClient({ url, token: aliceToken });
const bob = new CallClient({ url, token: bobToken });

for (const [me, client] of [['alice', alice], ['bob', bob]]) {
  client.setVideoCallEventCallback((event, userId, errorCode, flags, param, userStr) => {
    console.log(`${client.userId}: ${names[event]} from ${userId} errorCode=${errorCode} param=${param} ${userStr}`);
    if (me === 'bob' && event === VideoCallEvent.REQUEST) bob.videoCallControl(VideoCallEvent.REPLY, userId, 0);
    if (me === 'alice' && event === VideoCallEvent.START) setTimeout(() => alice.videoCallControl(VideoCallEvent.FINISH, userId), 500);
    if (me === 'bob' && event === VideoCallEvent.FINISH) { alice.close(); bob.close(); }
    if (me === 'alice' && event === VideoCallEvent.REPLY && errorCode !== 0) { alice.close(); bob.close(); }
  });
}
await Promise.all([alice.connect(), bob.connect()]);
alice.videoCallControl(VideoCallEvent.REQUEST, bob.userId, 0, 3, 0, 'Hello Bob');
