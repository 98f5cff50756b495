import type { Redis } from 'ioredis';
import { RateLimitedError } from '../../errors';
import type { Logger } from '../../logger';
import { type RateLimiter, TokenBucketLimiter } from '../../upstream/RateLimiter';
import { OutageNotice } from './OutageNotice';
import { PAUSE_BUCKET, TAKE_TOKENS } from './tokenBucketScripts';

export interface RedisRateLimiterOptions {
  redis: Redis;
  /** the bucket's key, the same on every instance */
  key: string;
  /** for the whole cluster */
  ratePerSecond: number;
  /** requests allowed at once after a quiet spell; default max(1, ratePerSecond), as the in-process limiter */
  burst?: number;
  /** a caller waiting longer than this gets RATE_LIMITED instead of an ever-growing queue */
  maxWaitMs?: number;
  log: Logger;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
  deadline: NodeJS.Timeout | null;
}

/**
 * One upstream rate for every instance: a token bucket in Redis (see tokenBucketScripts). Callers queue
 * locally, first come first served; the queue asks Redis for as many turns as it has waiters (one call in
 * flight at most), and when the bucket runs dry it sleeps on one unref'd timer until the next token.
 * Instances that wait for the same token race for it, so fairness between instances is only rough.
 *
 * When Redis fails, the waiters of that call go through a per-instance token bucket instead: the
 * upstream call still happens, at worst at the configured rate per instance until Redis is back.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly bucket: [ratePerMs: number, burst: number];
  private readonly fallback: TokenBucketLimiter;
  private readonly outage: OutageNotice;
  private readonly waiters: Waiter[] = [];
  private asking = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly options: RedisRateLimiterOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
    const burst = options.burst ?? Math.max(1, options.ratePerSecond);
    this.bucket = [options.ratePerSecond / 1000, burst];
    this.fallback = new TokenBucketLimiter({
      ratePerSecond: options.ratePerSecond,
      burst,
      maxWaitMs: options.maxWaitMs,
    });
    this.outage = new OutageNotice(options.log, 'the upstream rate limit', 'pacing upstream requests per instance');
  }

  acquire(): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, deadline: null };
      const { maxWaitMs } = this.options;
      if (maxWaitMs !== undefined) {
        waiter.deadline = setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new RateLimitedError(`Too many upstream requests: waited ${maxWaitMs} ms for a turn`));
        }, maxWaitMs);
        waiter.deadline.unref();
      }
      this.waiters.push(waiter);
      void this.serve();
    });
  }

  /** Pauses every instance. Resolves once the pause is shared (or Redis failed); never rejects. */
  async slowDown(ms: number): Promise<void> {
    // The fallback keeps the pause too, in case Redis goes away before it ends.
    this.fallback.slowDown(ms);
    try {
      await PAUSE_BUCKET.run(this.options.redis, [this.options.key], [...this.bucket, ms]);
    } catch (error) {
      this.outage.began(error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const waiter of this.dequeue(this.waiters.length)) waiter.reject(closedError());
    await this.fallback.close();
  }

  private async serve(): Promise<void> {
    if (this.asking || this.timer) return;
    this.asking = true;
    let nextTokenInMs = 0;
    while (nextTokenInMs === 0 && this.waiters.length > 0) nextTokenInMs = await this.grant(this.waiters.length);
    this.asking = false;
    if (nextTokenInMs > 0 && !this.closed) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.serve();
      }, nextTokenInMs);
      this.timer.unref();
    }
  }

  /** Lets through as many of the first `count` waiters as the bucket allows; returns ms until the next token. */
  private async grant(count: number): Promise<number> {
    let granted: number;
    let nextTokenInMs: number;
    try {
      const reply = await TAKE_TOKENS.run(this.options.redis, [this.options.key], [...this.bucket, count]);
      [granted, nextTokenInMs] = reply as [number, number];
      this.outage.ended();
    } catch (error) {
      this.outage.began(error);
      for (const waiter of this.dequeue(count)) this.fallback.acquire().then(waiter.resolve, waiter.reject);
      return 0;
    }
    for (const waiter of this.dequeue(granted)) waiter.resolve();
    return nextTokenInMs;
  }

  /** Removes the first `count` waiters from the queue, and from the clock: they are answered now. */
  private dequeue(count: number): Waiter[] {
    const taken = this.waiters.splice(0, count);
    for (const waiter of taken) if (waiter.deadline) clearTimeout(waiter.deadline);
    return taken;
  }
}

function closedError(): RateLimitedError {
  return new RateLimitedError('The upstream rate limiter is closed: the server is shutting down');
}
