import { ConfigError } from './ConfigError';
import type { Variables } from './variables';

/** Kling credentials: aggregator style (static key) or Kling direct (access key + secret key, signed JWT). */
export type KlingAuth = { kind: 'apiKey'; apiKey: string } | { kind: 'jwt'; accessKey: string; secretKey: string };

export interface UpstreamConfig {
  /** null = the built-in simulated upstream */
  baseUrl: string | null;
  auth: KlingAuth | null;
  timeoutMs: number;
  rateLimitRps: number;
  /** open sockets to the upstream at most (one keep-alive agent) */
  maxSockets: number;
  /** circuit breaker: outages in a row (within 30 s) that open it, and how long it stays open; default 10 and 30 s */
  breaker?: { failures: number; halfOpenAfterMs: number };
  /** the simulated upstream's concurrency limit (SIMULATED_MAX_CONCURRENT): it answers 1303 beyond it */
  simulatedMaxConcurrent?: number;
}

/** KLING_*: the real API when a base URL and one style of credentials are set, the simulated upstream when neither is. */
export function upstreamConfig(v: Variables): UpstreamConfig {
  return Object.freeze({
    baseUrl: v.KLING_BASE_URL ?? null,
    auth: upstreamAuth(v),
    timeoutMs: v.KLING_TIMEOUT_MS,
    rateLimitRps: v.KLING_RATE_LIMIT_RPS,
    maxSockets: v.KLING_MAX_SOCKETS,
    breaker: { failures: v.KLING_BREAKER_FAILURES, halfOpenAfterMs: v.KLING_BREAKER_OPEN_MS },
    simulatedMaxConcurrent: v.SIMULATED_MAX_CONCURRENT,
  });
}

function upstreamAuth(v: Variables): KlingAuth | null {
  if (v.KLING_ACCESS_KEY && !v.KLING_SECRET_KEY)
    throw new ConfigError('KLING_SECRET_KEY', 'must be set with KLING_ACCESS_KEY');
  if (v.KLING_SECRET_KEY && !v.KLING_ACCESS_KEY)
    throw new ConfigError('KLING_ACCESS_KEY', 'must be set with KLING_SECRET_KEY');
  const hasKeyPair = Boolean(v.KLING_ACCESS_KEY && v.KLING_SECRET_KEY);
  if (hasKeyPair && v.KLING_API_KEY) {
    throw new ConfigError('KLING_API_KEY', 'and KLING_ACCESS_KEY/KLING_SECRET_KEY are two auth styles: set one');
  }
  const hasCredentials = hasKeyPair || Boolean(v.KLING_API_KEY);
  if (hasCredentials && !v.KLING_BASE_URL)
    throw new ConfigError('KLING_BASE_URL', 'must be set when Kling credentials are set');
  if (v.KLING_BASE_URL && !hasCredentials) {
    throw new ConfigError('KLING_API_KEY', 'or KLING_ACCESS_KEY + KLING_SECRET_KEY must be set with KLING_BASE_URL');
  }
  if (v.KLING_API_KEY) return { kind: 'apiKey', apiKey: v.KLING_API_KEY };
  if (v.KLING_ACCESS_KEY && v.KLING_SECRET_KEY) {
    return { kind: 'jwt', accessKey: v.KLING_ACCESS_KEY, secretKey: v.KLING_SECRET_KEY };
  }
  return null;
}
