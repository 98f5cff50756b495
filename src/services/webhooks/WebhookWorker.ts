import type { Logger } from 'pino';
import type { OutboundUrlPolicy } from '../../domain/outboundUrl';
import type { Metrics } from '../../metrics';
import type { AttemptResult, ClaimedDelivery, WebhookOutbox } from '../../store/WebhookOutbox';
import type { TaskUpdateHub } from '../TaskUpdateHub';
import { retryDelayMs } from './retrySchedule';
import { postWebhook, type WebhookAnswer } from './webhookTransport';
import { signedHeaders, webhookBody } from './webhookSigner';
import type { WebhookSecrets } from './WebhookSecrets';

export interface WebhookWorkerOptions {
  outbox: WebhookOutbox;
  secrets: WebhookSecrets;
  hub: TaskUpdateHub;
  log: Logger;
  metrics: Metrics;
  now: () => number;
  policy: OutboundUrlPolicy;
  timeoutMs: number;
  retryBaseMs: number;
  maxAgeMs: number;
  scanIntervalMs: number;
}

/**
 * Attempts in flight at most, per instance. Each runs on its own, so a receiver that hangs holds one slot for its
 * timeout, not the others' deliveries; one task never has two (a claim skips tasks with an earlier pending event).
 */
const MAX_IN_FLIGHT = 32;

/**
 * Sends the outbox's due webhooks, on every instance. An event this instance commits, or a status change heard on the
 * hub (this instance's or, with Redis, another's: the event is committed before it is published), wakes it at once;
 * a timer scans for retries and anything missed. Each claim leases its rows to this instance (TaskStore.webhooks.claimDue), so a delivery is sent
 * by one instance at a time, one task's events in order, and a crashed instance's claims are taken over when their
 * lease runs out: delivery is at least once, and the stable `webhook-id` lets receivers drop a repeat.
 */
export class WebhookWorker {
  private round: Promise<void> | null = null;
  private again = false;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private closed = false;

  constructor(private readonly options: WebhookWorkerOptions) {}

  start(): void {
    this.unsubscribe = this.options.hub.subscribeAll(() => this.wake());
    this.options.outbox.onEventWritten(() => this.wake());
    this.timer = setInterval(() => {
      this.wake();
      void this.sampleDepth();
    }, this.options.scanIntervalMs);
    this.timer.unref();
    this.wake();
    void this.sampleDepth();
  }

  /** Looks for due deliveries now (or right after the round in progress). */
  wake(): void {
    if (this.closed) return;
    if (this.round) {
      this.again = true;
      return;
    }
    this.round = this.run().finally(() => {
      this.round = null;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Stops claiming; attempts in flight finish (each bounded by the timeout) and are recorded. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    await this.round;
    await Promise.all(this.inFlight);
  }

  /** Claims what is due while there are free slots, and starts each attempt without waiting for it. */
  private async run(): Promise<void> {
    const { outbox, now, timeoutMs, log } = this.options;
    try {
      while (!this.closed && this.inFlight.size < MAX_IN_FLIGHT && (await outbox.hasDue(now()))) {
        // The lease outlasts the attempt (bounded by the timeout) and the recording of its outcome.
        const leaseUntil = now() + timeoutMs * 2 + 5_000;
        const claims = await outbox.claimDue(MAX_IN_FLIGHT - this.inFlight.size, leaseUntil, now());
        if (claims.length === 0) return;
        for (const claim of claims) this.track(claim);
      }
    } catch (error) {
      log.warn({ err: String(error) }, 'webhook outbox unavailable; the next scan tries again');
    }
  }

  /** An attempt in flight; when it ends its slot is free and the task's next event may be due: look again. */
  private track(claim: ClaimedDelivery): void {
    const attempt = this.attempt(claim)
      .catch((error: unknown) => {
        // The claim's lease runs out and the delivery is tried again then.
        this.options.log.warn({ deliveryId: claim.id, err: String(error) }, 'webhook attempt not recorded');
      })
      .finally(() => {
        this.inFlight.delete(attempt);
        this.wake();
      });
    this.inFlight.add(attempt);
  }

  private async attempt(claim: ClaimedDelivery): Promise<void> {
    const { outbox, secrets, now, log, metrics, policy, timeoutMs } = this.options;
    const body = webhookBody(claim.occurredAt, claim.data);
    const headers = signedHeaders(claim.id, new Date(now()), body, await secrets.signing(claim.tenant));
    const answer = await postWebhook({ url: claim.url, headers, body, timeoutMs, policy });
    const result = this.judge(claim, answer);
    metrics.webhookAttempts.inc({ outcome: result.kind });
    // The target is the client's own URL: logged redacted by the logger (src/logger.ts), like every URL.
    log.debug(
      { deliveryId: claim.id, attempt: claim.attempts, outcome: result.kind, answer: describe(answer) },
      'webhook attempt',
    );
    if (result.kind === 'failed') log.warn({ deliveryId: claim.id, attempts: claim.attempts }, 'webhook gave up');
    await outbox.recordAttempt(claim, result, now());
  }

  /** 2xx delivered; 410 gone; anything else retried on the schedule until WEBHOOK_MAX_AGE_HOURS, then failed. */
  private judge(claim: ClaimedDelivery, answer: WebhookAnswer): AttemptResult {
    const responseStatus = 'status' in answer ? answer.status : null;
    if (responseStatus !== null && responseStatus >= 200 && responseStatus < 300)
      return { kind: 'delivered', responseStatus };
    if (responseStatus === 410) return { kind: 'gone', responseStatus };
    // A URL the outbound rules no longer allow will not become allowed by waiting.
    if ('error' in answer && answer.error === 'refused-url') return { kind: 'failed', responseStatus };
    const nextAttemptAt = this.options.now() + retryDelayMs(claim.attempts, this.options.retryBaseMs);
    if (nextAttemptAt > claim.pendingSince + this.options.maxAgeMs) return { kind: 'failed', responseStatus };
    return { kind: 'retry', responseStatus, nextAttemptAt };
  }

  private async sampleDepth(): Promise<void> {
    try {
      this.options.metrics.webhookOutboxDepth.set(await this.options.outbox.pendingCount());
    } catch {
      // the store is down: the scan's own warning says so
    }
  }
}

function describe(answer: WebhookAnswer): string {
  return 'status' in answer ? String(answer.status) : answer.error;
}
