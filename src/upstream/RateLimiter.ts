import { RateLimitedError } from '../errors';

/** Paces requests to the upstream. Implementations: in-process (below) or shared by instances (Redis). */
export interface RateLimiter {
  /** Resolves when one request may go out. */
  acquire(): Promise<void>;
  /** The upstream said "too many requests": issue nothing for `ms`. */
  slowDown?(ms: number): void | Promise<void>;
  close?(): Promise<void>;
}

export interface TokenBucketOptions {
  ratePerSecond: number;
  /** requests allowed at once after a quiet spell; default max(1, ratePerSecond) */
  burst?: number;
  /** a caller waiting longer than this gets RATE_LIMITED instead of an ever-growing queue */
  maxWaitMs?: number;
  /** monotonic ms */
  now?: () => number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
  deadline: NodeJS.Timeout | null;
}

/**
 * Token bucket with a FIFO queue. One timer at most, armed for the moment the next token exists, so waiting
 * costs nothing; timers are unref'd so a queue never holds the process open on its own.
 */
export class TokenBucketLimiter implements RateLimiter {
  private readonly ratePerMs: number;
  private readonly burst: number;
  private readonly maxWaitMs: number | undefined;
  private readonly now: () => number;
  private tokens: number;
  /** time up to which tokens have been counted; in the future while slowed down */
  private countedUntil: number;
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
    this.ratePerMs = options.ratePerSecond / 1000;
    this.burst = options.burst ?? Math.max(1, options.ratePerSecond);
    this.maxWaitMs = options.maxWaitMs;
    this.now = options.now ?? (() => performance.now());
    this.tokens = this.burst;
    this.countedUntil = this.now();
  }

  acquire(): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    this.refill();
    if (this.waiters.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, deadline: null };
      if (this.maxWaitMs !== undefined) {
        waiter.deadline = setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new RateLimitedError(`Too many upstream requests: waited ${this.maxWaitMs} ms for a turn`));
        }, this.maxWaitMs);
        waiter.deadline.unref();
      }
      this.waiters.push(waiter);
      this.schedule();
    });
  }

  slowDown(ms: number): void {
    this.refill();
    // Tokens saved up before the upstream complained would be spent in one burst right after the pause.
    this.tokens = 0;
    this.countedUntil = Math.max(this.countedUntil, this.now() + ms);
    this.reschedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const waiter of this.waiters.splice(0)) {
      if (waiter.deadline) clearTimeout(waiter.deadline);
      waiter.reject(closedError());
    }
  }

  private refill(): void {
    const now = this.now();
    if (now <= this.countedUntil) return;
    this.tokens = Math.min(this.burst, this.tokens + (now - this.countedUntil) * this.ratePerMs);
    this.countedUntil = now;
  }

  private release(): void {
    this.timer = null;
    this.refill();
    while (this.waiters.length > 0 && this.tokens >= 1) {
      this.tokens -= 1;
      const waiter = this.waiters.shift() as Waiter;
      if (waiter.deadline) clearTimeout(waiter.deadline);
      waiter.resolve();
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.waiters.length === 0) return;
    const pausedFor = Math.max(0, this.countedUntil - this.now());
    const untilNextToken = Math.max(0, (1 - this.tokens) / this.ratePerMs);
    this.timer = setTimeout(() => this.release(), Math.ceil(pausedFor + untilNextToken));
    this.timer.unref();
  }

  private reschedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.schedule();
  }
}

function closedError(): RateLimitedError {
  return new RateLimitedError('The upstream rate limiter is closed: the server is shutting down');
}
