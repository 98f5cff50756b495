import type { TaskIntent, TaskRecord } from '../domain/task';
import { statusOf, toLipSyncTask } from '../mappers/lipSyncTask';
import type { LipSyncTaskStatus } from '../types/LipSyncTaskStatus';

/**
 * What the stores write into the webhook outbox inside a state change's own transaction (migration 006), so a
 * crash can neither lose an event nor report one that never happened.
 */

/** One task's events in the order they happen; a later one is sent only after the earlier ones. */
const SEQ: Record<LipSyncTaskStatus, number> = {
  QUEUED: 0,
  SUBMITTED: 1,
  PROCESSING: 2,
  SUCCEEDED: 3,
  FAILED: 3,
  CANCELED: 3,
};

/** The delivery id, also the Standard Webhooks `webhook-id`: derived, so every writer of one event agrees on it. */
export function deliveryId(taskId: string, status: string): string {
  return `whd_${taskId}_${status}`;
}

/** Parameters of WEBHOOK_SQL.insertEvent for the status `record` is in now. */
export function eventParams(record: TaskRecord, now: number): Record<string, unknown> {
  const status = statusOf(record);
  return {
    id: deliveryId(record.id, status),
    taskId: record.id,
    status,
    seq: SEQ[status],
    data: JSON.stringify(toLipSyncTask(record)),
    now,
  };
}

/** Parameters of WEBHOOK_SQL.insertTarget, or null when the task has no callbackUrl. */
export function targetParams(intent: TaskIntent): Record<string, unknown> | null {
  return intent.callbackUrl ? { taskId: intent.id, tenant: intent.tenant, url: intent.callbackUrl } : null;
}
