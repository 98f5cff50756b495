import type { TaskIntent, TaskRecord } from '../domain/task';
import { TASK_COLUMNS } from './rowMapping';
import { intentRecord } from './taskTransitions';
import type { IntentResult } from './TaskStore';

/**
 * A create that finds the queue empty and a concurrency slot free writes its row already claimed, in one write,
 * instead of inserting it `queued` and claiming it in a second transaction (TaskStore.insertIntentClaimed). The
 * profile of B1 behind it: the claim's `UPDATE … RETURNING *` and the claim round's count and queue order were
 * ~8 % of the server's busy time, and each write is one more savepoint in a group commit (docs/performance.md,
 * section 9).
 */

/** What insertIntentClaimed answers: insertIntent's result, and whether the row was written claimed. */
export type ClaimedIntentResult = IntentResult & { claimed: boolean };

export const CLAIMED_INTENT_SQL = {
  // insertIntent's statement plus `dispatched_at`, which a claim sets: the tenant counts as just served in the
  // queue's round-robin order (QUEUE_ORDER_SQL), exactly as if the dispatcher had claimed the row.
  insertClaimedIntent: `INSERT INTO tasks (${TASK_COLUMNS.join(', ')}, request, dispatched_at)
    VALUES (${TASK_COLUMNS.map((c) => `:${c}`).join(', ')}, :request, :dispatchedAt)
    ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id`,
  // Any queued task, of any tenant, goes first (fairness): one probe of the partial index tasks_queue.
  queueWaiting: `SELECT 1 AS waiting FROM tasks WHERE state = 'queued' LIMIT 1`,
} as const;

/**
 * The row as the dispatcher's claim of the queued intent would leave it: `submitting` with the create's lease, and
 * `queued_at` set, so an acceptance keeps our created_at and a requeue (Kling's 1303) puts it back in its place.
 */
export function claimedIntentRecord(intent: TaskIntent): TaskRecord {
  return { ...queuedIntentRecord(intent), state: 'submitting', leaseUntil: intent.leaseUntil };
}

/**
 * The row as insertIntent would have written it: what the webhook outbox records as the task's QUEUED event, so a
 * callback target still hears QUEUED, SUBMITTED, … in order whichever way the row was written.
 */
export function queuedIntentRecord(intent: TaskIntent): TaskRecord {
  return intentRecord({ ...intent, queued: true });
}

/** Whether the claim may be taken at insert: nothing waits in the queue, and the cap (if any) leaves a slot. */
export function slotFree(queueWaiting: boolean, live: number, cap: number | null): boolean {
  return !queueWaiting && (cap === null || live < cap);
}

/** The result as the webhook outbox's recordIntent should see it: a created row's event is QUEUED either way. */
export function outboxView(intent: TaskIntent, result: IntentResult): IntentResult {
  return result.created ? { created: true, record: queuedIntentRecord(intent) } : result;
}
