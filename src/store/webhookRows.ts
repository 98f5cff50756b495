import type { AttemptResult, ClaimedDelivery, SigningKeyGeneration, WebhookDeliveryRecord } from './WebhookOutbox';
import type { DeliveryRow } from './webhookOutboxSql';

/** Row ⇄ record for the outbox, shared by both stores. */

const toNumber = (value: number | string): number => Number(value);

export function rowToDelivery(row: DeliveryRow): WebhookDeliveryRecord {
  return {
    id: row.id,
    taskId: row.task_id,
    tenant: row.tenant,
    status: row.status,
    state: row.state,
    attempts: Number(row.attempts),
    occurredAt: toNumber(row.occurred_at),
    lastAttemptAt: row.last_attempt_at === null ? null : toNumber(row.last_attempt_at),
    nextAttemptAt: toNumber(row.next_attempt_at),
    pendingSince: toNumber(row.pending_since),
    lastResponseStatus: row.last_response_status,
  };
}

export function rowToClaim(row: DeliveryRow): ClaimedDelivery {
  return { ...rowToDelivery(row), url: row.url, data: row.data, claimedUntil: toNumber(row.claimed_until) };
}

/** Parameters of WEBHOOK_SQL.finishAttempt. */
export function finishParams(claim: ClaimedDelivery, result: AttemptResult, now: number): Record<string, unknown> {
  return {
    id: claim.id,
    claimedUntil: claim.claimedUntil,
    state: result.kind === 'delivered' ? 'delivered' : result.kind === 'retry' ? 'pending' : 'failed',
    nextAttemptAt: result.kind === 'retry' ? result.nextAttemptAt : now,
    responseStatus: result.responseStatus,
  };
}

export function rowToSigningKey(
  row: { generation: number; rotated_at: number | string } | undefined,
): SigningKeyGeneration {
  return row
    ? { generation: Number(row.generation), rotatedAt: toNumber(row.rotated_at) }
    : { generation: 0, rotatedAt: 0 };
}
