import type { UpstreamConfig } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { KlingApi } from './KlingApi';
import { KlingClient } from './KlingClient';
import { type RateLimiter, TokenBucketLimiter } from './RateLimiter';
import { SimulatedKling } from './SimulatedKling';
import type { UpstreamAttemptObserver } from './UpstreamAttemptObserver';

export interface KlingApiDeps {
  metrics?: Metrics;
  log?: Logger;
  /** e.g. one shared by instances; default: this process's own bucket at config.rateLimitRps */
  limiter?: RateLimiter;
  /** told of every HTTP attempt (tracing) */
  observer?: UpstreamAttemptObserver;
  /** the simulated upstream's media base URL (the sample video src/http/demoRoute.ts serves); a made-up host otherwise */
  simulatedMediaBaseUrl?: () => string;
}

/** The real Kling when a base URL is configured, the built-in simulation otherwise. */
export function createKlingApi(config: UpstreamConfig, deps: KlingApiDeps = {}): KlingApi {
  if (config.baseUrl) {
    const limiter =
      deps.limiter ?? new TokenBucketLimiter({ ratePerSecond: config.rateLimitRps, maxWaitMs: config.timeoutMs });
    return new KlingClient({ config, metrics: deps.metrics, log: deps.log, limiter, observer: deps.observer });
  }
  return new SimulatedKling({
    maxConcurrent: config.simulatedMaxConcurrent,
    ...(deps.simulatedMediaBaseUrl ? { mediaBaseUrl: deps.simulatedMediaBaseUrl } : {}),
  });
}
