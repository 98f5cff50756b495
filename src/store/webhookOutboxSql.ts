/**
 * The outbox's statements, in the SQL SQLite and PostgreSQL share (`:name` parameters). `claimDue` takes the row
 * lock clause PostgreSQL needs (`FOR UPDATE SKIP LOCKED`: instances never wait on, or claim, each other's rows);
 * SQLite has one writer per file, so there it is empty.
 */

const EARLIER_PENDING = `EXISTS (SELECT 1 FROM webhook_deliveries e
  WHERE e.task_id = d.task_id AND e.state = 'pending' AND e.seq < d.seq)`;

export function claimDueSql(lock: string): string {
  return `UPDATE webhook_deliveries SET claimed_until = :leaseUntil, attempts = attempts + 1, last_attempt_at = :now
    WHERE state = 'pending' AND claimed_until <= :now AND id IN (
      SELECT d.id FROM webhook_deliveries d
      WHERE d.state = 'pending' AND d.next_attempt_at <= :now AND d.claimed_until <= :now AND NOT ${EARLIER_PENDING}
      ORDER BY d.next_attempt_at, d.id LIMIT :limit ${lock}
    ) RETURNING *`;
}

export const WEBHOOK_SQL = {
  insertTarget: `INSERT INTO webhook_targets (task_id, tenant, url) VALUES (:taskId, :tenant, :url)
    ON CONFLICT (task_id) DO NOTHING`,
  // Only for a task with a live target (the casts type PostgreSQL's parameters in a SELECT list); a second writer of the same (task, status) changes nothing.
  insertEvent: `INSERT INTO webhook_deliveries (id, task_id, tenant, status, seq, url, data, occurred_at, state, attempts,
      next_attempt_at, pending_since, claimed_until)
    SELECT :id, task_id, tenant, :status, CAST(:seq AS INTEGER), url, :data, CAST(:now AS BIGINT), 'pending', 0,
      CAST(:now AS BIGINT), CAST(:now AS BIGINT), 0
    FROM webhook_targets WHERE task_id = :taskId AND stopped_at IS NULL
    ON CONFLICT (task_id, status) DO NOTHING`,
  finishAttempt: `UPDATE webhook_deliveries SET state = :state, next_attempt_at = :nextAttemptAt,
      last_response_status = :responseStatus, claimed_until = 0
    WHERE id = :id AND claimed_until = :claimedUntil`,
  stopTarget: `UPDATE webhook_targets SET stopped_at = :now WHERE task_id = :taskId AND stopped_at IS NULL`,
  failPendingOfTask: `UPDATE webhook_deliveries SET state = 'failed', claimed_until = 0
    WHERE task_id = :taskId AND state = 'pending'`,
  byId: `SELECT * FROM webhook_deliveries WHERE id = :id AND tenant = :tenant`,
  redeliver: `UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = :now, pending_since = :now, claimed_until = 0
    WHERE id = :id AND tenant = :tenant AND state = 'failed' RETURNING *`,
  pendingCount: `SELECT COUNT(*) AS count FROM webhook_deliveries WHERE state = 'pending'`,
  // A read before the claim (a write): most wakes find nothing due.
  hasDue: `SELECT 1 AS due FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= :now LIMIT 1`,
  signingKey: `SELECT generation, rotated_at FROM webhook_signing_keys WHERE tenant = :tenant`,
  rotateSigningKey: `INSERT INTO webhook_signing_keys (tenant, generation, rotated_at) VALUES (:tenant, 1, :now)
    ON CONFLICT (tenant) DO UPDATE SET generation = webhook_signing_keys.generation + 1, rotated_at = :now
    RETURNING generation, rotated_at`,
} as const;

export type WebhookSqlName = keyof typeof WEBHOOK_SQL;

/** A delivery row as both databases return it (PostgreSQL's BIGINTs arrive as strings). */
export interface DeliveryRow {
  id: string;
  task_id: string;
  tenant: string;
  status: string;
  seq: number;
  url: string;
  data: string;
  occurred_at: number | string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: number | string;
  pending_since: number | string;
  last_attempt_at: number | string | null;
  last_response_status: number | null;
  claimed_until: number | string;
}
