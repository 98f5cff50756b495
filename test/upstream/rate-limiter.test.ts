import { describe, expect, it } from '@jest/globals';
import { RateLimitedError } from '../../src/errors';
import { TokenBucketLimiter } from '../../src/upstream/RateLimiter';

/** ms since `started`, with real timers: the limiter is about real time. */
const since = (started: number) => performance.now() - started;

describe('TokenBucketLimiter', () => {
  it('lets a burst through at once, then paces the rest at the rate', async () => {
    const limiter = new TokenBucketLimiter({ ratePerSecond: 50, burst: 2 });
    const started = performance.now();
    const times: number[] = [];
    await Promise.all(Array.from({ length: 6 }, () => limiter.acquire().then(() => times.push(since(started)))));

    expect(times[1]).toBeLessThan(15);
    // four more tokens at 20 ms each
    expect(times[5]).toBeGreaterThanOrEqual(75);
    expect(times[5]).toBeLessThan(200);
    await limiter.close();
  });

  it('defaults the burst to the rate (and at least one)', async () => {
    const limiter = new TokenBucketLimiter({ ratePerSecond: 0.5 });
    const started = performance.now();
    await limiter.acquire();
    expect(since(started)).toBeLessThan(15);
    const second = limiter.acquire();
    await limiter.close();
    await expect(second).rejects.toBeInstanceOf(RateLimitedError);
  });

  it('serves waiters first come, first served', async () => {
    const limiter = new TokenBucketLimiter({ ratePerSecond: 100, burst: 1 });
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((n) => limiter.acquire().then(() => order.push(n))));
    expect(order).toEqual([1, 2, 3, 4]);
    await limiter.close();
  });

  it('rejects a caller that would wait longer than maxWaitMs with RATE_LIMITED', async () => {
    const limiter = new TokenBucketLimiter({ ratePerSecond: 1, maxWaitMs: 30 });
    await limiter.acquire();
    const started = performance.now();
    await expect(limiter.acquire()).rejects.toBeInstanceOf(RateLimitedError);
    expect(since(started)).toBeGreaterThanOrEqual(25);
    await limiter.close();
  });

  it('issues nothing while slowed down, and drops the saved-up burst', async () => {
    const limiter = new TokenBucketLimiter({ ratePerSecond: 1000, burst: 10 });
    limiter.slowDown(60);
    const started = performance.now();
    await limiter.acquire();
    expect(since(started)).toBeGreaterThanOrEqual(55);
    await limiter.close();
  });

  it('rejects waiting and later callers once closed', async () => {
    const limiter = new TokenBucketLimiter({ ratePerSecond: 1, burst: 1 });
    await limiter.acquire();
    const waiting = limiter.acquire();
    await limiter.close();
    await expect(waiting).rejects.toThrow('shutting down');
    await expect(limiter.acquire()).rejects.toBeInstanceOf(RateLimitedError);
  });
});
