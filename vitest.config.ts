import { defineConfig } from 'vitest/config';

/**
 * The integration tests that must behave the same on one node in memory, on Redis, and on three
 * Redis nodes. (Limits, authentication and input checks live in the gateway, before any state is
 * touched: they run once, in the memory project.)
 */
const clusterSuite = [
  'test/integration/scenarios.test.ts',
  'test/integration/sessions.test.ts',
  'test/integration/call-api.test.ts',
  'test/integration/heartbeats.test.ts',
  'test/integration/tokens.test.ts',
  'test/integration/call-model.property.test.ts',
  'test/integration/presence.test.ts',
  'test/integration/signaling.test.ts',
  'test/integration/business-veto.test.ts',
  'test/integration/business-failover.test.ts',
  'test/integration/business-control.test.ts',
  'test/integration/business-notifications.test.ts',
  'test/integration/webhooks-delivery.test.ts',
  'test/integration/push-wait.test.ts',
  'test/contact-centre/smoke.test.ts',
  'test/contact-centre/scenarios.test.ts',
  'test/contact-centre/records-entries.test.ts',
  'test/contact-centre/rest-queues.test.ts',
  'test/contact-centre/metrics-queues.test.ts',
  'test/contact-centre/sdk-customer.test.ts',
  'test/contact-centre/sdk-agent.test.ts',
  'test/contact-centre/business-queues.test.ts',
  'test/contact-centre/business-webhooks.test.ts',
  'test/devices/*.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Most tests wait on sockets and timers, not the CPU: more forks than cores (vitest's default is
    // cores - 1, a single fork on a two-core CI machine) cut the wall time several-fold.
    maxWorkers: Number(process.env.CALLGATE_TEST_WORKERS ?? 4),
    minWorkers: 1,
    globalSetup: ['test/setup/redis.ts', 'test/setup/postgres.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['packages/*/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'memory', include: ['test/integration/**/*.test.ts', 'test/contact-centre/**/*.test.ts', 'test/devices/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'redis', include: [...clusterSuite, 'test/cluster/**/*.test.ts'], env: { CALLGATE_TEST_TOPOLOGY: 'redis' } },
      },
      { extends: true, test: { name: 'redis-3', include: clusterSuite, env: { CALLGATE_TEST_TOPOLOGY: 'redis-3' } } },
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], testTimeout: 60_000 } },
      // Packs the four packages and installs them in a temporary project (better-sqlite3 may compile there).
      { extends: true, test: { name: 'packaging', include: ['test/packaging/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 25 * 60_000 } },
    ],
  },
});
