// A push hook beside Callgate: when a call comes for a user whose app is closed (no device
// connected), Callgate asks this business server to wake the app and holds the call up to
// --offline-wait seconds for a device of the user to connect; the caller's SDK is told
// "waking the callee" meanwhile. When the wait ends without a device, or the caller gives up,
// the hook hears `cancelled` and withdraws the notification.
// Usage: CALLGATE_BUSINESS_SECRET=<secret> [CALLGATE_URL=ws://127.0.0.1:8080] node examples/push-hook.mjs
import { BusinessClient } from '@callgate/business';

const url = process.env.CALLGATE_URL ?? 'ws://127.0.0.1:8080';
const secret = process.env.CALLGATE_BUSINESS_SECRET;
if (!secret) {
  console.error("set CALLGATE_BUSINESS_SECRET to the server's --business-secret");
  process.exit(1);
}

/**
 * Where your app's push tokens live: in a real application, a table filled when the app registers
 * (an APNs VoIP token for iOS CallKit, an FCM registration token for Android).
 */
const pushTokens = new Map([
  ['bob', { platform: 'apns-voip', token: '<bob-voip-token>' }],
  ['carol', { platform: 'fcm', token: '<carol-fcm-token>' }],
]);

/**
 * Stub senders: each prints the request it would make. Replace the body with your provider's
 * client (e.g. `@parse/node-apn` or an HTTP/2 POST to api.push.apple.com for APNs, firebase-admin's
 * `messaging().send()` for FCM); the payload is what the app needs to show the call and connect.
 */
const senders = {
  'apns-voip': async (token, payload) => {
    // POST https://api.push.apple.com/3/device/<token>, apns-push-type: voip, apns-topic: <bundle>.voip
    console.log(`APNs VoIP → ${token}: ${JSON.stringify(payload)}`);
  },
  fcm: async (token, payload) => {
    // firebase-admin: messaging().send({ token, data: payload, android: { priority: 'high', ttl: … } })
    console.log(`FCM → ${token}: ${JSON.stringify(payload)}`);
  },
};

const business = new BusinessClient({ url, secret });

business.setOnPushCallback(async ({ step, callId, caller, callee, flags, userStr, until }) => {
  const device = pushTokens.get(callee);
  if (!device) {
    console.log(`${callee} has no push token: the call waits, then ends OFFLINE`);
    return;
  }
  const payload =
    step === 'wake'
      ? { kind: 'incoming-call', callId, caller, video: (flags & 0x02) !== 0, note: userStr, expiresAt: until }
      : { kind: 'call-cancelled', callId };
  await senders[device.platform](device.token, payload);
});
business.on('error', (error) => console.error(`business error ${error.codeName}: ${error.message}`));

await business.connect();
console.log(`push hook connected to ${url}`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    business.close();
    process.exit(0);
  });
}
