import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config';
import type { Coordination } from '../../src/coordination';
import { redisCoordination } from '../../src/coordination/redis';
import { createLogger } from '../../src/logger';
import { redactUrl } from '../../src/redactUrl';
import { waitFor } from './waitFor';

/** The Redis the tests use; never skipped: an unreachable server fails the tests with how to start it. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const START_HINT =
  'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no ' +
  '--dir /var/lib/redis --logfile /var/log/redis/ci.log';

export interface TestInstance {
  coordination: Coordination;
  /** every log line this instance wrote, as text */
  logs(): string;
}

export interface InstanceOptions {
  /** environment for this instance's configuration, e.g. KLING_RATE_LIMIT_RPS */
  env?: Record<string, string>;
  /** another way to the test Redis (e.g. a proxy a test can cut); default TEST_REDIS_URL */
  url?: string;
}

export interface RedisTestRun {
  /** this test's key prefix: each test starts from an empty keyspace and channel of its own */
  readonly prefix: string;
  /** starts an "instance": redisCoordination under this test's prefix, closed when the test ends */
  start(options?: InstanceOptions): Promise<TestInstance>;
  /** a direct connection, to look at what the instances wrote */
  admin(): Redis;
}

/**
 * Redis for one test file. Every key lives under a prefix unique to this run (and to each test in it), so
 * jest workers running in parallel on one server never see each other; the keys are deleted afterwards.
 */
export function useRedis(): RedisTestRun {
  const runPrefix = `lipsync-test:${randomBytes(6).toString('hex')}:`;
  let testCount = 0;
  let prefix = runPrefix;
  let admin: Redis | null = null;
  const started: Coordination[] = [];

  beforeAll(async () => {
    admin = await connectAdmin();
  });
  beforeEach(() => {
    prefix = `${runPrefix}${++testCount}:`;
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((coordination) => coordination.close()));
  });
  afterAll(async () => {
    if (!admin) return;
    for await (const keys of admin.scanStream({ match: `${runPrefix}*`, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await admin.del(...keys);
    }
    await admin.quit();
  });

  return {
    get prefix() {
      return prefix;
    },
    async start(options = {}) {
      const lines: string[] = [];
      const url = options.url ?? TEST_REDIS_URL;
      const config = loadConfig({ REDIS_URL: url, ...options.env });
      const log = createLogger({
        level: 'info',
        pretty: false,
        destination: { write: (line: string) => lines.push(line) },
      });
      const coordination = await redisCoordination(url, config, log, { keyPrefix: prefix });
      started.push(coordination);
      return { coordination, logs: () => lines.join('') };
    },
    admin() {
      if (!admin) throw new Error('useRedis().admin() is for tests, after beforeAll has connected');
      return admin;
    },
  };
}

async function connectAdmin(): Promise<Redis> {
  const admin = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  admin.on('error', () => undefined); // reported by connect() below
  try {
    await admin.connect();
    return admin;
  } catch (error) {
    admin.disconnect();
    throw new Error(
      `Redis is not reachable at ${redactUrl(TEST_REDIS_URL)} (${(error as Error).message}). ` +
        `Start it with: ${START_HINT} (or point TEST_REDIS_URL at another server)`,
      { cause: error },
    );
  }
}

/** Resolves once `condition` holds (checked every 10 ms); fails naming `what` after a generous `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  await waitFor(what, condition, timeoutMs, 10);
}
