import { randomUUID } from 'node:crypto';
import { afterEach, inject } from 'vitest';
import { startServer, type RunningServer, type ServerOptions } from '@callgate/server';

export const TEST_SECRET = 'test-secret-do-not-use';
/** What business servers authenticate with on the test servers (the business link is on in every test server). */
export const TEST_BUSINESS_SECRET = 'test-business-secret-do-not-use';

/**
 * Where the integration suite runs, set per vitest project: one node in memory (default), one
 * node on Redis, or three nodes on Redis with users spread over them.
 */
export type Topology = 'memory' | 'redis' | 'redis-3';

export const topology: Topology = (process.env.CALLGATE_TEST_TOPOLOGY as Topology | undefined) ?? 'memory';

/** The first node, plus every node of the cluster and which one a user connects to. */
export interface TestServer extends RunningServer {
  nodes: RunningServer[];
  /** The node a user connects to: users are spread over the nodes by their id. */
  nodeFor(userId: string): RunningServer;
}

const quiet = (): ServerOptions['logLevel'] => (process.env.CALLGATE_TEST_LOGS ? 'debug' : 'silent');

/** A real server (or cluster, per the topology) on free loopback ports. */
export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const count = topology === 'redis-3' ? 3 : 1;
  const cluster =
    topology === 'memory' ? {} : { redis: inject('redisUrl'), redisPrefix: `cgtest-${randomUUID().slice(0, 8)}:` };
  const nodes: RunningServer[] = [];
  for (let i = 0; i < count; i++) {
    nodes.push(
      await startServer({ port: 0, host: '127.0.0.1', secret: TEST_SECRET, businessSecret: TEST_BUSINESS_SECRET, logLevel: quiet(), ...cluster, ...options }),
    );
  }
  const first = nodes[0]!;
  return {
    ...first,
    nodes,
    nodeFor: (userId) => nodes[spread(userId) % nodes.length]!,
    finishCall: (userId, errorCode, userStr) => first.finishCall(userId, errorCode, userStr),
    close: async (closeOptions) => {
      await Promise.all(nodes.map((node) => node.close(closeOptions)));
    },
  };
}

/** A stable number for a user id, so that one test's users land on different nodes. */
function spread(userId: string): number {
  let hash = 0;
  for (const char of userId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds, checking every 10 ms; throws, naming `what`, after `timeoutMs`. */
export async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * The servers a test starts and the clients it opens, closed after each test: first what it
 * opened, then the servers. Call it once at the top of a test file.
 */
export function serversPerTest<T extends { close(): unknown }>(): { opened: T[]; start(options?: Partial<ServerOptions>): Promise<TestServer> } {
  const opened: T[] = [];
  const started: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((o) => o.close()));
    await Promise.all(started.splice(0).map((server) => server.close()));
  });
  return {
    opened,
    async start(options = {}) {
      const server = await startTestServer(options);
      started.push(server);
      return server;
    },
  };
}
