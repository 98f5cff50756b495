import { ErrorCode, type UpstreamError } from '../errors';
import type { UpstreamEndpoint } from '../metrics';

/** Tries per call, the first included. */
export const MAX_ATTEMPTS = 3;

/** Calls that make something Kling bills: a resend after an unknown outcome could bill twice. */
const PAID_ENDPOINTS: ReadonlySet<UpstreamEndpoint> = new Set<UpstreamEndpoint>([
  'create',
  'advanced_create',
  'identify_face',
]);

export function isPaidEndpoint(endpoint: UpstreamEndpoint): boolean {
  return PAID_ENDPOINTS.has(endpoint);
}

/**
 * Reads retry every retryable failure. A create retries only when the upstream certainly did not act on it
 * (5001, refused connections): re-sending after a timeout could make a second, paid task. A create refused with
 * 1302/1303 (Kling's rate or concurrency limit) is not retried here: the task goes back to the queue at once and
 * the queue backs off (src/services/QueueDispatcher.ts), instead of burning tries against a full account.
 */
export function shouldRetry(endpoint: UpstreamEndpoint, error: UpstreamError): boolean {
  if (!error.retryable) return false;
  if (!isPaidEndpoint(endpoint)) return true;
  return !error.outcomeUnknown && error.code !== ErrorCode.RATE_LIMITED;
}

/**
 * Exponential backoff with ±50 % jitter, so instances that failed together do not retry together.
 * A rate-limited answer waits at least the base delay (Kling asks for ≥ 1 s).
 */
export function backoffMs(
  attempt: number,
  baseMs: number,
  error: UpstreamError,
  random: () => number = Math.random,
): number {
  const delay = baseMs * 2 ** (attempt - 1) * (0.5 + random());
  return Math.round(error.code === ErrorCode.RATE_LIMITED ? Math.max(baseMs, delay) : delay);
}
