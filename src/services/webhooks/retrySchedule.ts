/**
 * When a failed webhook attempt is tried again: about 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then hourly (the
 * schedule of issue 13, close to what Standard Webhooks senders use), scaled by WEBHOOK_RETRY_BASE_MS (the first
 * delay) so tests can run it in milliseconds. ±20 % jitter, so receivers that failed together are not all retried
 * in the same instant.
 */
const RATIOS = [1, 6, 24, 120, 360, 720];
const JITTER = 0.2;

/** Delay before the next try after `attempts` tries have failed (attempts ≥ 1). */
export function retryDelayMs(attempts: number, baseMs: number, random: () => number = Math.random): number {
  const ratio = RATIOS[Math.min(attempts, RATIOS.length) - 1];
  return Math.round(baseMs * ratio * (1 - JITTER + 2 * JITTER * random()));
}
