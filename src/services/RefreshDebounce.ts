import { LRUCache } from 'lru-cache';

export interface RefreshDebounceOptions {
  /** at most one refresh per key within this window */
  windowMs: number;
  /** keys remembered at once; beyond it the oldest are forgotten (memory stays bounded whatever arrives) */
  maxKeys: number;
}

/**
 * Lets one refresh of a task through per window: callbacks (or anything else that asks) arriving in a burst
 * cost one upstream request, not one each.
 */
export class RefreshDebounce {
  private readonly recent: LRUCache<string, true>;

  constructor(options: RefreshDebounceOptions) {
    this.recent = new LRUCache<string, true>({ max: options.maxKeys, ttl: options.windowMs, ttlAutopurge: false });
  }

  /** True for the first call for `key` in a window (the caller then refreshes), false for the rest. */
  claim(key: string): boolean {
    if (this.recent.has(key)) return false;
    this.recent.set(key, true);
    return true;
  }
}
