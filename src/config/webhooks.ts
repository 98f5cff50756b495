import type { Variables } from './variables';

/** Webhooks to clients' callbackUrls (src/services/webhooks/). */
export interface WebhookConfig {
  /** WEBHOOK_SECRET, the root of every tenant's signing secret; null = generated once (outside production) or off */
  secret: string | null;
  /** after a rotation, the previous secret keeps signing this long */
  rotationOverlapMs: number;
  /** a delivery is retried until this long after its event, then FAILED */
  maxAgeMs: number;
  /** one attempt, connecting included */
  timeoutMs: number;
  /** the first retry's delay; the later ones keep their ratio to it (5 s, 30 s, 2 min, 10 min, 30 min, 1 h) */
  retryBaseMs: number;
  /** how often the outbox is looked at for due deliveries without any event */
  scanIntervalMs: number;
}

export function webhookConfig(v: Variables): WebhookConfig {
  return Object.freeze({
    secret: v.WEBHOOK_SECRET ?? null,
    rotationOverlapMs: Math.round(v.WEBHOOK_ROTATION_OVERLAP_HOURS * 3_600_000),
    maxAgeMs: Math.round(v.WEBHOOK_MAX_AGE_HOURS * 3_600_000),
    timeoutMs: v.WEBHOOK_TIMEOUT_MS,
    retryBaseMs: v.WEBHOOK_RETRY_BASE_MS,
    scanIntervalMs: v.WEBHOOK_SCAN_INTERVAL_MS,
  });
}
