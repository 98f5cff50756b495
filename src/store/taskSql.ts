import { ANSWER_COLUMNS, INTENT_COLUMNS, TASK_COLUMNS, type AnswerColumn } from './rowMapping';
import type { ListQuery } from './TaskStore';
import { USAGE_SQL } from './usageSql';
import { CLAIMED_INTENT_SQL } from './claimedIntent';

/**
 * Every statement both stores run, in the SQL that SQLite and PostgreSQL share, with `:name` parameters.
 * Only what the dialects force (transactions, row locks, advisory locks) lives in the stores themselves.
 */

const LIST_ORDER = 'ORDER BY created_at DESC, id DESC LIMIT :limit';

/** Every row a client has seen: a `submit_failed` row answered its create with an error (migration 004). */
const LISTED = `state <> 'submit_failed'`;

/**
 * The queued rows in the order the dispatcher submits them: round-robin across tenants (the tenant served least
 * recently first, a tenant never served before all others), FIFO within a tenant. `turn` is a row's place in its
 * tenant's line, so a claim of several rows takes one from each tenant before a second from any.
 */
export const QUEUE_ORDER_SQL = `SELECT id, tenant FROM (
    SELECT q.id, q.tenant, q.queued_at,
      ROW_NUMBER() OVER (PARTITION BY q.tenant ORDER BY q.queued_at, q.id) AS turn,
      COALESCE((SELECT MAX(d.dispatched_at) FROM tasks d WHERE d.tenant = q.tenant AND d.dispatched_at IS NOT NULL), 0) AS served
    FROM tasks q WHERE q.state = 'queued'
  ) ordered ORDER BY turn, served, queued_at, id`;

const ACCEPTED_CREATED_AT = 'created_at = CASE WHEN queued_at IS NULL THEN :created_at ELSE created_at END';

function listSql(byState: boolean, afterCursor: boolean, byKind = false): string {
  return [
    `SELECT * FROM tasks WHERE tenant = :tenant AND ${LISTED}`,
    byState ? 'AND state = :state' : '',
    byKind ? 'AND kind = :kind' : '',
    // A row-value comparison is what lets both planners seek straight into the (created_at, id) index.
    afterCursor ? 'AND (created_at, id) < (:createdAt, :id)' : '',
    LIST_ORDER,
  ]
    .filter(Boolean)
    .join(' ');
}

/** `UPDATE tasks SET <column> = :<column>, … WHERE id = :id`: only the columns named, so no other index is touched. */
export function updateSql(columns: readonly AnswerColumn[]): string {
  return `UPDATE tasks SET ${columns.map((c) => `${c} = :${c}`).join(', ')} WHERE id = :id`;
}

export const TASK_SQL = {
  insertIntent: `INSERT INTO tasks (${TASK_COLUMNS.join(', ')}, request) VALUES (${TASK_COLUMNS.map((c) => `:${c}`).join(', ')}, :request)
    ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id`,
  releaseExpiredKey: `UPDATE tasks SET idempotency_key = NULL
    WHERE tenant = :tenant AND idempotency_key = :idempotencyKey AND idempotency_expires_at < :now`,
  byIdempotencyKey: 'SELECT * FROM tasks WHERE tenant = :tenant AND idempotency_key = :idempotencyKey',
  byId: 'SELECT * FROM tasks WHERE id = :id',
  byUpstreamId: 'SELECT * FROM tasks WHERE upstream_id = :upstreamId',
  byUpstreamIdForTenant: 'SELECT * FROM tasks WHERE upstream_id = :upstreamId AND tenant = :tenant',
  saveAnswer: updateSql(ANSWER_COLUMNS),
  // An acceptance of a row no answer has reached yet, in one statement (see taskTransitions' `acceptance`).
  // The kept create input is no longer needed once Kling has the task. A task that was accepted into the queue
  // keeps its created_at (when this server accepted it), so list cursors on (created_at, id) stay stable when it
  // is submitted later (see taskTransitions' `acceptedRecord`).
  acceptIntent: `UPDATE tasks SET ${ANSWER_COLUMNS.map((c) => (c === 'created_at' ? ACCEPTED_CREATED_AT : `${c} = :${c}`)).join(', ')},
    request = NULL WHERE id = :id AND upstream_id IS NULL RETURNING ${INTENT_COLUMNS.join(', ')}, created_at`,
  markSubmitFailed: `UPDATE tasks SET state = 'submit_failed', submit_error = :submitError, updated_at = :now
    WHERE id = :id AND state = 'submitting' RETURNING *`,
  claimFailed: `UPDATE tasks SET state = 'submitting', submit_error = NULL, lease_until = :leaseUntil, updated_at = :now
    WHERE id = :id AND state = 'submit_failed'`,
  claimExpiredLease: `UPDATE tasks SET lease_until = :leaseUntil
    WHERE id = :id AND state = 'submitting' AND lease_until < :now`,
  releaseLease: `UPDATE tasks SET lease_until = 0 WHERE id = :id AND state = 'submitting'`,
  list: listSql(false, false),
  listByState: listSql(true, false),
  listAfter: listSql(false, true),
  listByStateAfter: listSql(true, true),
  listByKind: listSql(false, false, true),
  listByKindAfter: listSql(false, true, true),
  listByStateAndKind: listSql(true, false, true),
  listByStateAndKindAfter: listSql(true, true, true),
  byIdForTenant: 'SELECT * FROM tasks WHERE id = :id AND tenant = :tenant',
  queueOrder: QUEUE_ORDER_SQL,
  // What holds a concurrency slot: live at Kling, or possibly (a submission in flight or of unknown outcome).
  // Two counts, each within a partial index (tasks_submitting, tasks_active), never a scan of the whole table:
  // the dispatcher counts on every tick, and on every create when KLING_MAX_CONCURRENT_TASKS is set.
  countLive: `SELECT (SELECT COUNT(*) FROM tasks WHERE state = 'submitting')
    + (SELECT COUNT(*) FROM tasks WHERE state IN ('submitted', 'processing')) AS count`,
  queueStats: `SELECT COUNT(*) AS depth, MIN(queued_at) AS oldest FROM tasks WHERE state = 'queued'`,
  // Conditional on `queued`: of a cancel and a dispatcher racing for one row, exactly one statement wins.
  claimQueued: `UPDATE tasks SET state = 'submitting', lease_until = :leaseUntil, dispatched_at = :dispatchedAt, updated_at = :now
    WHERE id = :id AND state = 'queued' RETURNING *`,
  requeue: `UPDATE tasks SET state = 'queued', lease_until = 0, updated_at = :now
    WHERE id = :id AND state = 'submitting' AND upstream_id IS NULL RETURNING *`,
  cancelQueued: `UPDATE tasks SET state = 'canceled', request = NULL, updated_at = :now
    WHERE id = :id AND tenant = :tenant AND state = 'queued' RETURNING *`,
  failSubmission: `UPDATE tasks SET state = 'failed', status_message = :message, submit_error = :submitError, request = NULL, updated_at = :now
    WHERE id = :id AND state = 'submitting' AND upstream_id IS NULL RETURNING *`,
  expireQueued: `UPDATE tasks SET state = 'failed', status_message = :message, request = NULL, updated_at = :now
    WHERE state = 'queued' AND queued_at < :before RETURNING *`,
  listSubmitting: `SELECT * FROM tasks WHERE state = 'submitting' ORDER BY lease_until`,
  listActive: `SELECT * FROM tasks WHERE state IN ('submitted', 'processing') ORDER BY checked_at`,
  countByState: 'SELECT state, COUNT(*) AS count FROM tasks GROUP BY state',
  ping: 'SELECT 1',
  // The first writer of a setting wins; everyone (the writer too) then reads the winner's value.
  insertSetting: 'INSERT INTO settings (key, value) VALUES (:key, :value) ON CONFLICT (key) DO NOTHING',
  settingValue: 'SELECT value FROM settings WHERE key = :key',
  liveByIdempotencyKey: `SELECT * FROM tasks WHERE tenant = :tenant AND idempotency_key = :idempotencyKey
    AND idempotency_expires_at >= :now`,
  ...USAGE_SQL,
  ...CLAIMED_INTENT_SQL,
} as const;

export type TaskSqlName = keyof typeof TASK_SQL;

/** The list statement for a query's shape (each shape is prepared once). */
export function listStatementName(query: ListQuery): TaskSqlName {
  if (query.kind !== undefined) return listByKindStatementName(query);
  if (query.state === undefined) return query.after === undefined ? 'list' : 'listAfter';
  return query.after === undefined ? 'listByState' : 'listByStateAfter';
}

function listByKindStatementName(query: ListQuery): TaskSqlName {
  if (query.state === undefined) return query.after === undefined ? 'listByKind' : 'listByKindAfter';
  return query.after === undefined ? 'listByStateAndKind' : 'listByStateAndKindAfter';
}

/** Named parameters of a list query. */
export function listParams(query: ListQuery): Record<string, string | number> {
  return {
    tenant: query.tenant,
    limit: query.limit,
    ...(query.state === undefined ? {} : { state: query.state }),
    ...(query.kind === undefined ? {} : { kind: query.kind }),
    ...(query.after === undefined ? {} : { createdAt: query.after.createdAt, id: query.after.id }),
  };
}
