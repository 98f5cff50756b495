/**
 * The webhook outbox as the delivery worker and the API see it (src/services/webhooks/). Events are written by the
 * task stores themselves, inside the transaction of the state change they report (src/store/webhookEvents.ts);
 * everything else about a delivery goes through this interface. Implementations: SqliteWebhookOutbox.ts and
 * PostgresWebhookOutbox.ts.
 */

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveryRecord {
  /** also the `webhook-id`: one per (task, status), the same on every retry and every instance */
  id: string;
  taskId: string;
  tenant: string;
  /** the public status the event reports (LipSyncTaskStatus) */
  status: string;
  state: DeliveryState;
  attempts: number;
  /** epoch ms the status change was written */
  occurredAt: number;
  lastAttemptAt: number | null;
  /** epoch ms of the next try; only meaningful while pending */
  nextAttemptAt: number;
  /** epoch ms the current round of tries began (the give-up clock) */
  pendingSince: number;
  lastResponseStatus: number | null;
}

/** A due delivery this instance now holds: sent by it alone until `claimedUntil`. */
export interface ClaimedDelivery extends WebhookDeliveryRecord {
  url: string;
  /** the task as the GraphQL `LipSyncTask` showed it when the status changed (JSON) */
  data: string;
  claimedUntil: number;
}

export type AttemptResult =
  /** a 2xx answer: done */
  | { kind: 'delivered'; responseStatus: number }
  /** anything else while there is time left: try again at `nextAttemptAt` */
  | { kind: 'retry'; responseStatus: number | null; nextAttemptAt: number }
  /** out of time (WEBHOOK_MAX_AGE_HOURS) or the URL is no longer allowed */
  | { kind: 'failed'; responseStatus: number | null }
  /** 410 Gone: this one and every further event of the task stop */
  | { kind: 'gone'; responseStatus: number };

export interface SigningKeyGeneration {
  /** 0 until the first rotation */
  generation: number;
  /** epoch ms of the last rotation (0 when never rotated) */
  rotatedAt: number;
}

export interface WebhookOutbox {
  /**
   * Told after a transaction that wrote an event has committed, in this process (the delivery worker wakes at
   * once instead of at its next scan). Best effort: a change also published on the hub wakes the worker anyway.
   */
  onEventWritten(listener: () => void): void;
  /**
   * Due pending deliveries, oldest due first, at most `limit`, each claimed by this caller alone until
   * `leaseUntil` (its attempt counted): none whose task has an earlier event still pending, so one task's events
   * go out in order.
   */
  claimDue(limit: number, leaseUntil: number, now: number): Promise<ClaimedDelivery[]>;
  /** The outcome of a claimed attempt; ignored when the claim was lost (the lease ran out and another took it). */
  recordAttempt(claim: ClaimedDelivery, result: AttemptResult, now: number): Promise<void>;
  /** every delivery of these tasks (within the tenant), in each task's order */
  listForTasks(taskIds: readonly string[], tenant: string): Promise<WebhookDeliveryRecord[]>;
  get(id: string, tenant: string): Promise<WebhookDeliveryRecord | null>;
  /** FAILED → pending again, due now, with a fresh give-up clock; null when it is not a FAILED delivery of the tenant */
  redeliver(id: string, tenant: string, now: number): Promise<WebhookDeliveryRecord | null>;
  /** whether any pending delivery is due (claimed ones included): a cheap read that spares most claims */
  hasDue(now: number): Promise<boolean>;
  /** deliveries still pending (the outbox depth) */
  pendingCount(): Promise<number>;
  signingKey(tenant: string): Promise<SigningKeyGeneration>;
  /** the next generation, atomically (two rotations at once make two generations, never one twice) */
  rotateSigningKey(tenant: string, now: number): Promise<SigningKeyGeneration>;
}
