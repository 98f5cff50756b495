import type { UpstreamEndpoint } from '../metrics';

/** One HTTP attempt at the Kling API, as KlingClient saw it. */
export interface UpstreamAttempt {
  endpoint: UpstreamEndpoint;
  method: 'GET' | 'POST';
  /** 1 for the first try */
  attempt: number;
  /** performance.now() when the request was sent */
  startedAt: number;
  seconds: number;
  /** HTTP status, null when no answer came */
  httpStatus: number | null;
  /** the envelope's code, or how the exchange failed (timeout, reset, refused, non_json) */
  outcome: string;
  requestId: string | null;
}

/** Told of every attempt when it ends (tracing: src/tracing/upstreamSpans.ts), in the caller's async context. */
export interface UpstreamAttemptObserver {
  observe(attempt: UpstreamAttempt): void;
}
