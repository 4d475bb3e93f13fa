import { createAccessToken, type RunningServer } from '@callgate/server';
import { RawSocket } from './raw-socket.js';
import { TEST_SECRET, type TestServer } from './servers.js';

/** A raw socket, authenticated as `userId`, welcome consumed: for tests that speak the wire protocol. */
export async function rawUser(
  server: Pick<RunningServer, 'url'> | TestServer,
  userId: string,
  claims?: Record<string, unknown>,
): Promise<RawSocket> {
  const socket = await RawSocket.open('nodeFor' in server ? server.nodeFor(userId) : server);
  const token = await createAccessToken({ secret: TEST_SECRET, userId, ttlSeconds: 600, ...(claims ? { claims } : {}) });
  socket.send({ type: 'auth', token });
  const welcome = await socket.next('welcome');
  if (welcome.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
  return socket;
}

/** The next message of `type`, skipping others (e.g. acks). */
export async function nextOfType(socket: RawSocket, type: string, what = type): Promise<Record<string, unknown>> {
  for (;;) {
    const message = await socket.next(what);
    if (message.type === type) return message;
  }
}
