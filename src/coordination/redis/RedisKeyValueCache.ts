import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger';
import { OutageNotice } from './OutageNotice';

/**
 * Apollo's automatic persisted queries shared by every instance: a client that registered a query on one
 * instance can send only its hash to any other.
 */
export class RedisKeyValueCache implements KeyValueCache<string> {
  private readonly outage: OutageNotice;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    log: Logger,
  ) {
    this.outage = new OutageNotice(log, 'persisted queries', 'clients are asked to send full queries');
  }

  /**
   * A miss when Redis fails: Apollo does not catch errors from `get` and would fail the request, whereas
   * a miss makes the client send the full query, which works without Redis.
   */
  async get(key: string): Promise<string | undefined> {
    try {
      const value = await this.redis.get(this.prefix + key);
      this.outage.ended();
      return value ?? undefined;
    } catch (error) {
      this.outage.began(error);
      return undefined;
    }
  }

  /** `ttl` in seconds, as KeyValueCache defines it (fractions kept); none or null = no expiry. */
  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    const ttl = options?.ttl;
    if (ttl) await this.redis.set(this.prefix + key, value, 'PX', Math.ceil(ttl * 1000));
    else await this.redis.set(this.prefix + key, value);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.redis.del(this.prefix + key)) > 0;
  }
}
