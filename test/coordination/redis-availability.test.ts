import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { RedisUnavailableError, redisCoordination } from '../../src/coordination/redis';
import type { TaskRecord } from '../../src/domain/task';
import type { RateLimiter } from '../../src/upstream/RateLimiter';
import type { PollLease } from '../../src/services/TaskWatcher';
import { TEST_REDIS_URL, useRedis, waitUntil } from '../support/redis';
import { startRedisProxy, type RedisProxy } from '../support/redisProxy';

const redis = useRedis();

describe('starting against a Redis that does not answer', () => {
  it('fails within a few seconds with one line naming REDIS_URL, password masked', async () => {
    const url = 'redis://:s3cret@127.0.0.1:1';
    const lines: string[] = [];
    const log = createLogger({
      level: 'info',
      pretty: false,
      destination: { write: (line: string) => lines.push(line) },
    });
    const started = Date.now();
    const error = await redisCoordination(url, loadConfig({ REDIS_URL: url }), log).catch((e: unknown) => e);

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    const message = (error as Error).message;
    expect(message).toMatch(/^REDIS_URL redis:\/\/:\*\*\*@127\.0\.0\.1:1: cannot reach Redis \(.*ECONNREFUSED.*\)$/);
    expect(message).not.toContain('\n');
    expect(message + lines.join('')).not.toContain('s3cret');
  });
});

describe('readiness and outages', () => {
  let proxy: RedisProxy | null = null;
  afterEach(async () => {
    await proxy?.cut();
    proxy = null;
  });

  it('is ready while Redis answers, and not once closed', async () => {
    const { coordination } = await redis.start();
    await expect(coordination.readinessChecks.redis()).resolves.toBeUndefined();
    await coordination.close();
    await expect(coordination.readinessChecks.redis()).rejects.toThrow();
  });

  it('keeps every feature working in a per-instance way while Redis is down, and recovers by itself', async () => {
    proxy = await startRedisProxy(TEST_REDIS_URL);
    const instance = await redis.start({ url: proxy.url });
    const { coordination } = instance;
    await proxy.cut();

    const started = Date.now();
    await expect(coordination.readinessChecks.redis()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1_500);
    // the upstream call still goes out, paced by this instance alone
    await expect((coordination.limiter as RateLimiter).acquire()).resolves.toBeUndefined();
    // better two pollers than none
    expect(await (coordination.pollLease as PollLease).tryAcquire('task-1', 5_000)).toBe(true);
    // a miss makes the client send the full query
    expect(await coordination.apqCache.get('hash')).toBeUndefined();
    // subscribers on this instance still hear this instance's changes
    const heard: TaskRecord[] = [];
    coordination.hub.subscribe('task-1', (record) => heard.push(record));
    coordination.hub.publish({ id: 'task-1', upstreamId: 'kling-1', state: 'processing' } as TaskRecord);
    expect(heard).toHaveLength(1);

    await proxy.restore();
    await waitUntil(
      () =>
        coordination.readinessChecks.redis().then(
          () => true,
          () => false,
        ),
      'ready again after Redis came back',
      5_000,
    );
    expect(await (coordination.pollLease as PollLease).tryAcquire('task-2', 5_000)).toBe(true);
    // re-subscribed by itself: changes from other instances arrive again
    const other = await redis.start();
    other.coordination.hub.publish({ id: 'task-1', upstreamId: 'kling-1', state: 'succeeded' } as TaskRecord);
    await waitUntil(() => heard.length === 2, 'a change from another instance arrived after the outage');

    const logs = instance.logs();
    // each outage is told once per feature, not once per failed call
    expect(logs.match(/redis unavailable for the upstream rate limit/g)).toHaveLength(1);
    expect(logs).toContain('redis available again for poll leases');
  });
});
