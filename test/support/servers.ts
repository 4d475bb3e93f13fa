import { startServer, type RunningServer, type ServerOptions } from '@callgate/server';

export const TEST_SECRET = 'test-secret-do-not-use';

/** A real server on a free loopback port, quiet unless CALLGATE_TEST_LOGS is set. */
export function startTestServer(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  return startServer({
    port: 0,
    host: '127.0.0.1',
    secret: TEST_SECRET,
    logLevel: process.env.CALLGATE_TEST_LOGS ? 'debug' : 'silent',
    ...options,
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
