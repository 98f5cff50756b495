import type { Redis } from 'ioredis';
import type { Logger } from '../../logger';
import type { PollLease } from '../../services/TaskWatcher';
import { LuaScript } from './LuaScript';
import type { RedisKeys } from './keys';
import { OutageNotice } from './OutageNotice';

/** KEYS[1] = the lease, ARGV[1] = this instance, ARGV[2] = ttl ms. 1 when this instance holds the lease now. */
const ACQUIRE_OR_EXTEND = new LuaScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`);

/** KEYS[1] = the lease, ARGV[1] = this instance. Deletes the lease only while this instance holds it. */
const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

export interface RedisPollLeaseOptions {
  redis: Redis;
  keys: RedisKeys;
  /** the lease's value: who polls the task (readable with GET when debugging) */
  instanceId: string;
  log: Logger;
}

/**
 * One poller per task across the cluster: the first instance to ask holds the task's lease and keeps it by
 * asking again before it expires (TaskWatcher does, on a timer of its own); the others hear the changes through
 * the hub. If the holder dies, its lease runs out and the next instance to ask takes over; on a graceful stop the
 * holder releases its leases. Check and extension (or deletion) are one script, so an instance can never extend
 * or release a lease it lost in between.
 */
export class RedisPollLease implements PollLease {
  private readonly outage: OutageNotice;

  constructor(private readonly options: RedisPollLeaseOptions) {
    this.outage = new OutageNotice(options.log, 'poll leases', 'this instance polls every task it follows');
  }

  async tryAcquire(upstreamId: string, ttlMs: number): Promise<boolean> {
    const { redis, keys, instanceId } = this.options;
    try {
      const held = await ACQUIRE_OR_EXTEND.run(redis, [keys.pollLease(upstreamId)], [instanceId, Math.ceil(ttlMs)]);
      this.outage.ended();
      return held === 1;
    } catch (error) {
      // Two instances polling one task costs a few upstream requests; nobody polling it strands its subscribers.
      this.outage.began(error);
      return true;
    }
  }

  async release(upstreamIds: readonly string[]): Promise<void> {
    const { redis, keys, instanceId } = this.options;
    await Promise.all(upstreamIds.map((id) => RELEASE.run(redis, [keys.pollLease(id)], [instanceId])));
  }
}
