import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { Redis } from 'ioredis';
import type { PollLease } from '../services/TaskWatcher';
import type { TaskUpdateHub } from '../services/TaskUpdateHub';
import type { RateLimiter } from '../upstream/RateLimiter';

/**
 * What instances share. In one process: in-memory hub, this process's own rate limiter, APQ in an LRU.
 * With REDIS_URL: pub/sub fan-out across instances, one cluster-wide upstream rate, one poller per task, shared APQ.
 */
export interface Coordination {
  hub: TaskUpdateHub;
  /** undefined = the upstream client makes its own per-process limiter */
  limiter?: RateLimiter;
  /** undefined = this process polls every task it follows */
  pollLease?: PollLease;
  apqCache: KeyValueCache<string>;
  /** the command connection, for shared state built beside coordination (the per-tenant create limit); undefined in-process */
  redis?: Redis;
  /** extra dependencies /readyz checks (e.g. redis) */
  readinessChecks: Record<string, () => Promise<void>>;
  close(): Promise<void>;
}
