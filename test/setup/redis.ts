import type { TestProject } from 'vitest/node';
import { TestRedis } from '../support/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A throw-away Redis for this test run. */
    redisUrl: string;
  }
}

/** Starts a redis-server on a free port in a temp dir for the whole run, and stops it after. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await TestRedis.start();
  project.provide('redisUrl', redis.url);
  return () => redis.destroy();
}
