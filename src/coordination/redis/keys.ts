/** The prefix used in production; tests pass their own so runs sharing one Redis never meet. */
export const DEFAULT_KEY_PREFIX = 'lipsync:';

/** Where everything lives in Redis, all under one prefix so deployments sharing a server stay apart. */
export interface RedisKeys {
  /** the one pub/sub channel every instance publishes task changes to */
  taskUpdates: string;
  /** the token bucket pacing upstream requests for the whole cluster */
  upstreamRate: string;
  pollLease(upstreamId: string): string;
  /** prepended to Apollo's own (already prefixed) persisted-query keys */
  persistedQueries: string;
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    taskUpdates: `${prefix}task-updates`,
    upstreamRate: `${prefix}upstream-rate`,
    pollLease: (upstreamId) => `${prefix}poll-lease:${upstreamId}`,
    persistedQueries: `${prefix}apq:`,
  };
}
