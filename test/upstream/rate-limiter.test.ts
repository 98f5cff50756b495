import { describe, expect, it, jest } from '@jest/globals';
import { RateLimitedError } from '../../src/errors';
import { TokenBucketLimiter } from '../../src/upstream/RateLimiter';

/**
 * ms since `started`, with real timers: the limiter is about real time. A loaded machine only ever makes a
 * timer late, never early, so real-time bounds here are lower bounds (less 5 ms: Node rounds timer delays to
 * whole ms and may fire one early against performance.now). "At once" is checked without a clock: what the
 * bucket can pay for resolves in the same turn of the event loop, before any timer can fire.
 */
const since = (started: number) => performance.now() - started;
const ROUNDING_MS = 5;

/** Lets every already-resolved promise's callbacks run, and nothing that needs a timer. */
const sameTurn = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('TokenBucketLimiter', () => {
  it('lets a burst through at once, then paces the rest at the rate', async () => {
    const limiter = new TokenBucketLimiter({ ratePerSecond: 50, burst: 2 });
    const started = performance.now();
    const times: number[] = [];
    const all = Promise.all(Array.from({ length: 6 }, () => limiter.acquire().then(() => times.push(since(started)))));
    await sameTurn();
    expect(times).toHaveLength(2); // the burst, without waiting for a timer; the rest wait
    await all;
    // then one token every 20 ms: the k-th after the burst no sooner than k × 20 ms
    for (let k = 1; k <= 4; k++) expect(times[1 + k]).toBeGreaterThanOrEqual(k * 20 - ROUNDING_MS);
    await limiter.close();
  });

  it('paces at exactly the rate, no slower (on a fake clock, where the upper bound cannot flake)', async () => {
    jest.useFakeTimers();
    try {
      const limiter = new TokenBucketLimiter({ ratePerSecond: 50, burst: 2, now: () => Date.now() });
      let granted = 0;
      const all = Promise.all(Array.from({ length: 6 }, () => limiter.acquire().then(() => granted++)));
      await jest.advanceTimersByTimeAsync(0);
      expect(granted).toBe(2);
      for (let k = 1; k <= 4; k++) {
        await jest.advanceTimersByTimeAsync(19);
        expect(granted).toBe(1 + k); // not yet: the next token is 1 ms away
        await jest.advanceTimersByTimeAsync(1);
        expect(granted).toBe(2 + k);
      }
      await all;
      await limiter.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('defaults the burst to the rate (and at least one)', async () => {
    const limiter = new TokenBucketLimiter({ ratePerSecond: 0.5 });
    let first = false;
    void limiter.acquire().then(() => (first = true));
    await sameTurn();
    expect(first).toBe(true); // a burst of max(1, 0.5) = 1: without "at least one" it would wait a second
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
    expect(since(started)).toBeGreaterThanOrEqual(30 - ROUNDING_MS);
    await limiter.close();
  });

  it('issues nothing while slowed down, and drops the saved-up burst', async () => {
    const limiter = new TokenBucketLimiter({ ratePerSecond: 1000, burst: 10 });
    limiter.slowDown(60);
    const started = performance.now();
    await limiter.acquire();
    expect(since(started)).toBeGreaterThanOrEqual(60 - ROUNDING_MS);
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
