import { RateLimitedError } from '../../src/errors';
import type { RateLimiter } from '../../src/upstream/RateLimiter';
import { useRedis } from '../support/redis';

const redis = useRedis();

/** ms since `started`, with real timers: the limit is about real time. */
const since = (started: number) => performance.now() - started;

async function startLimiters(
  count: number,
  rateLimitRps: number,
  env: Record<string, string> = {},
): Promise<RateLimiter[]> {
  const instances = await Promise.all(
    Array.from({ length: count }, () => redis.start({ env: { KLING_RATE_LIMIT_RPS: String(rateLimitRps), ...env } })),
  );
  return instances.map(({ coordination }) => coordination.limiter as RateLimiter);
}

/**
 * How many of `callers` acquire() calls on each limiter got through in about `ms`, and in exactly how long
 * (measured: on a loaded machine the sleep overruns, and the bucket keeps filling meanwhile).
 */
async function admittedWithin(
  limiters: RateLimiter[],
  callers: number,
  ms: number,
): Promise<{ admitted: number; elapsedMs: number }> {
  const started = performance.now();
  let admitted = 0;
  for (const limiter of limiters) {
    for (let i = 0; i < callers; i++) {
      limiter.acquire().then(
        () => admitted++,
        () => undefined, // still waiting when the test closes the limiter
      );
    }
  }
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { admitted, elapsedMs: since(started) };
}

describe('the Redis rate limiter', () => {
  it('holds two instances to one rate between them', async () => {
    const limiters = await startLimiters(2, 20);
    // A full bucket (20) plus 20/s for the time measured: about 50 in 1.5 s, where two separate limiters would
    // allow twice as many. Upper bound: that, plus 5 for rounding. Lower bound: the bucket and some refill (5 of
    // the 30 tokens 1.5 s brings), which leaves a second of slack to a loaded machine and still fails a bucket
    // that never refills.
    const { admitted, elapsedMs } = await admittedWithin(limiters, 100, 1_500);
    expect(admitted).toBeGreaterThanOrEqual(25);
    expect(admitted).toBeLessThanOrEqual(20 + (20 * elapsedMs) / 1_000 + 5);
  });

  it("serves one instance's callers first come, first served", async () => {
    const [limiter] = await startLimiters(1, 50);
    const order: number[] = [];
    await Promise.all(Array.from({ length: 60 }, (_, n) => limiter.acquire().then(() => order.push(n))));
    expect(order).toEqual(Array.from({ length: 60 }, (_, n) => n));
  });

  it('pauses every instance when one of them is told to slow down', async () => {
    const [told, other] = await startLimiters(2, 100);
    // RedisRateLimiter.slowDown resolves once the pause is in Redis
    await told.slowDown?.(400);
    const started = performance.now();
    await Promise.all([other.acquire(), told.acquire()]);
    expect(since(started)).toBeGreaterThanOrEqual(350);
    expect(since(started)).toBeLessThan(5_000); // slack for a loaded machine; a pause never lifted would hang
  });

  it('answers RATE_LIMITED to a caller that would wait longer than the upstream timeout, and serves the next', async () => {
    const [limiter] = await startLimiters(1, 5, { KLING_TIMEOUT_MS: '150' });
    await Promise.all(Array.from({ length: 5 }, () => limiter.acquire())); // the whole burst
    const started = performance.now();
    await expect(limiter.acquire()).rejects.toBeInstanceOf(RateLimitedError); // the next token is 200 ms away
    expect(since(started)).toBeGreaterThanOrEqual(140);
    await expect(limiter.acquire()).resolves.toBeUndefined();
  });

  it('rejects callers still waiting when it closes', async () => {
    const instance = await redis.start({ env: { KLING_RATE_LIMIT_RPS: '1' } });
    const limiter = instance.coordination.limiter as RateLimiter;
    await limiter.acquire();
    const waiting = expect(limiter.acquire()).rejects.toBeInstanceOf(RateLimitedError);
    await instance.coordination.close();
    await waiting;
    await expect(limiter.acquire()).rejects.toBeInstanceOf(RateLimitedError);
  });
});
