// A business server beside Callgate: it refuses calls to users marked "do not disturb" and hangs
// up calls that last longer than a limit. Several copies may run at once; each call goes to one.
// Usage: CALLGATE_BUSINESS_SECRET=<secret> [CALLGATE_URL=ws://127.0.0.1:8080] \
//        [DO_NOT_DISTURB=carol,dave] [MAX_CALL_SECONDS=600] node examples/business-server.mjs
import { BusinessClient, VideoCallEvent } from '@callgate/business';

/** Our own refusal codes: Callgate passes them to the users untouched. */
const DO_NOT_DISTURB = 600001;
const CALL_TOO_LONG = 600002;

const url = process.env.CALLGATE_URL ?? 'ws://127.0.0.1:8080';
const secret = process.env.CALLGATE_BUSINESS_SECRET;
if (!secret) {
  console.error('set CALLGATE_BUSINESS_SECRET to the server\'s --business-secret');
  process.exit(1);
}
const maxCallMs = Number(process.env.MAX_CALL_SECONDS ?? 600) * 1000;
// In a real application "do not disturb" is a column of your users table.
const doNotDisturb = new Set((process.env.DO_NOT_DISTURB ?? '').split(',').filter(Boolean));
const names = { 1: 'REQUEST', 2: 'REPLY', 3: 'START', 4: 'FINISH' };
const limits = new Map(); // callId → the timer that ends the call

const business = new BusinessClient({ url, secret });

business.setOnVideoCallEventCallback((event, src, tar, errorCode, flags, param, userStr, { callId }) => {
  console.log(`${names[event]} ${src} → ${tar} errorCode=${errorCode} param=${param}`);
  switch (event) {
    case VideoCallEvent.REQUEST: // src calls tar: 0 lets tar's phone ring, anything else refuses
      if (doNotDisturb.has(tar)) {
        console.log(`refused: ${tar} does not want to be disturbed`);
        return DO_NOT_DISTURB;
      }
      return 0;
    case VideoCallEvent.START: // src is the caller, tar the callee, param the roomId
      limits.set(callId, setTimeout(async () => {
        const result = await business.videoCallControl(VideoCallEvent.FINISH, src, CALL_TOO_LONG, 0, 0, 'call time limit reached');
        console.log(`hung up ${src} and ${tar} after ${maxCallMs / 1000} s (result ${result})`);
      }, maxCallMs));
      return 0;
    case VideoCallEvent.FINISH: // the call is over, however it ended
      clearTimeout(limits.get(callId));
      limits.delete(callId);
      return 0;
    default: // REPLY: 0 = ringing, anything else = the call was refused
      return 0;
  }
});
business.on('error', (error) => console.error(`business error ${error.codeName}: ${error.message}`));

await business.connect();
console.log(`business server connected to ${url}`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    business.close();
    process.exit(0);
  });
}
