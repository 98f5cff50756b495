import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { redactUrl } from '../redactUrl';
import type { Coordination } from './Coordination';
import { closeRedis, connectRedis } from './redis/connection';
import { DEFAULT_KEY_PREFIX, redisKeys } from './redis/keys';
import { RedisKeyValueCache } from './redis/RedisKeyValueCache';
import { RedisPollLease } from './redis/RedisPollLease';
import { RedisRateLimiter } from './redis/RedisRateLimiter';
import { RedisTaskUpdateHub } from './redis/RedisTaskUpdateHub';

export { RedisUnavailableError } from './redis/RedisUnavailableError';

export interface RedisCoordinationOptions {
  /** prepended to every key and the channel; default `lipsync:` (tests use one per run) */
  keyPrefix?: string;
}

/**
 * Coordination across instances through one Redis, over two connections per instance: one for commands
 * (publishing, the rate limit, poll leases, persisted queries, readiness) and the hub's subscriber.
 * Throws RedisUnavailableError (naming REDIS_URL) when Redis does not answer at start-up; afterwards every
 * part keeps working through an outage in a per-instance way, and /readyz reports it.
 */
export async function redisCoordination(
  url: string,
  config: Config,
  log: Logger,
  options: RedisCoordinationOptions = {},
): Promise<Coordination> {
  const keys = redisKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
  // Host and pid tell an operator reading a poll lease which instance holds it; the random part tells restarts apart.
  const instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const commands = await connectRedis(url, 'commands', log);
  let hub: RedisTaskUpdateHub;
  try {
    hub = await RedisTaskUpdateHub.start({ url, publisher: commands, channel: keys.taskUpdates, instanceId, log });
  } catch (error) {
    await closeRedis(commands);
    throw error;
  }
  const limiter = new RedisRateLimiter({
    redis: commands,
    key: keys.upstreamRate,
    ratePerSecond: config.upstream.rateLimitRps,
    // as the per-instance limiter: a request that cannot start within its own timeout fails now, not later
    maxWaitMs: config.upstream.timeoutMs,
    log,
  });
  log.info({ redis: redactUrl(url), instanceId }, 'coordination: redis');
  return {
    hub,
    limiter,
    pollLease: new RedisPollLease({ redis: commands, keys, instanceId, log }),
    apqCache: new RedisKeyValueCache(commands, keys.persistedQueries, log),
    redis: commands,
    readinessChecks: {
      // The command connection bounds PING to a second (see connection.ts).
      redis: async () => {
        if (!hub.receiving) throw new Error('redis subscriber connection is down');
        await commands.ping();
      },
    },
    async close() {
      await hub.close();
      await limiter.close();
      await closeRedis(commands);
    },
  };
}
