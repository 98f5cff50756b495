import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimitedError } from '../errors';

const WINDOW_SECONDS = 60;

/**
 * Creates per tenant per minute, so one tenant cannot spend the whole upstream budget. Checked before a create
 * writes anything or calls the upstream, so a refused create leaves nothing behind. With Redis the budget is
 * the cluster's; if Redis fails, each instance keeps counting on its own (the insurance limiter) rather than
 * refusing every create or letting every create through.
 */
export class TenantCreateLimit {
  private constructor(
    private readonly limiter: RateLimiterAbstract,
    private readonly perMinute: number,
  ) {}

  static inProcess(perMinute: number): TenantCreateLimit {
    return new TenantCreateLimit(memoryLimiter(perMinute), perMinute);
  }

  static shared(redis: Redis, keyPrefix: string, perMinute: number): TenantCreateLimit {
    const limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${keyPrefix}create-limit`,
      points: perMinute,
      duration: WINDOW_SECONDS,
      insuranceLimiter: memoryLimiter(perMinute),
    });
    return new TenantCreateLimit(limiter, perMinute);
  }

  /** Counts one create for `tenant`; throws RATE_LIMITED (with retryAfterSeconds) when its minute is spent. */
  async take(tenant: string): Promise<void> {
    try {
      await this.limiter.consume(tenant);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      throw new RateLimitedError(
        `Too many creates: at most ${this.perMinute} per minute for this client; retry later`,
        Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
      );
    }
  }
}

function memoryLimiter(perMinute: number): RateLimiterMemory {
  return new RateLimiterMemory({ points: perMinute, duration: WINDOW_SECONDS });
}
