import type { Variables } from './variables';

/** The queue in front of Kling's concurrency limit (src/services/QueueDispatcher.ts). */
export interface QueueConfig {
  /** live Kling tasks at most (KLING_MAX_CONCURRENT_TASKS); null = no local cap */
  maxConcurrent: number | null;
  /** QUEUE_MAX_WAIT_MINUTES in ms */
  maxWaitMs: number;
}

export function queueConfig(v: Variables): QueueConfig {
  return Object.freeze({
    maxConcurrent: v.KLING_MAX_CONCURRENT_TASKS ?? null,
    maxWaitMs: Math.round(v.QUEUE_MAX_WAIT_MINUTES * 60_000),
  });
}
