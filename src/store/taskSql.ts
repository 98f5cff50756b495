import { ANSWER_COLUMNS, INTENT_COLUMNS, TASK_COLUMNS, type AnswerColumn } from './rowMapping';
import type { ListQuery } from './TaskStore';

/**
 * Every statement both stores run, in the SQL that SQLite and PostgreSQL share, with `:name` parameters.
 * Only what the dialects force (transactions, row locks, advisory locks) lives in the stores themselves.
 */

const LIST_ORDER = 'ORDER BY created_at DESC, upstream_id DESC LIMIT :limit';

function listSql(byState: boolean, afterCursor: boolean): string {
  return [
    'SELECT * FROM tasks WHERE tenant = :tenant AND upstream_id IS NOT NULL',
    byState ? 'AND state = :state' : '',
    // A row-value comparison is what lets both planners seek straight into the (created_at, upstream_id) index.
    afterCursor ? 'AND (created_at, upstream_id) < (:createdAt, :upstreamId)' : '',
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
  insertIntent: `INSERT INTO tasks (${TASK_COLUMNS.join(', ')}) VALUES (${TASK_COLUMNS.map((c) => `:${c}`).join(', ')})
    ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id`,
  releaseExpiredKey: `UPDATE tasks SET idempotency_key = NULL
    WHERE tenant = :tenant AND idempotency_key = :idempotencyKey AND idempotency_expires_at < :now`,
  byIdempotencyKey: 'SELECT * FROM tasks WHERE tenant = :tenant AND idempotency_key = :idempotencyKey',
  byId: 'SELECT * FROM tasks WHERE id = :id',
  byUpstreamId: 'SELECT * FROM tasks WHERE upstream_id = :upstreamId',
  byUpstreamIdForTenant: 'SELECT * FROM tasks WHERE upstream_id = :upstreamId AND tenant = :tenant',
  saveAnswer: updateSql(ANSWER_COLUMNS),
  // An acceptance of a row no answer has reached yet, in one statement (see taskTransitions' `acceptance`).
  acceptIntent: `${updateSql(ANSWER_COLUMNS)} AND upstream_id IS NULL RETURNING ${INTENT_COLUMNS.join(', ')}`,
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
  listSubmitting: `SELECT * FROM tasks WHERE state = 'submitting' ORDER BY lease_until`,
  listActive: `SELECT * FROM tasks WHERE state IN ('submitted', 'processing') ORDER BY checked_at`,
  countByState: 'SELECT state, COUNT(*) AS count FROM tasks GROUP BY state',
  ping: 'SELECT 1',
  // The first writer of a setting wins; everyone (the writer too) then reads the winner's value.
  insertSetting: 'INSERT INTO settings (key, value) VALUES (:key, :value) ON CONFLICT (key) DO NOTHING',
  settingValue: 'SELECT value FROM settings WHERE key = :key',
} as const;

export type TaskSqlName = keyof typeof TASK_SQL;

/** The list statement for a query's shape (each shape is prepared once). */
export function listStatementName(query: ListQuery): TaskSqlName {
  if (query.state === undefined) return query.after === undefined ? 'list' : 'listAfter';
  return query.after === undefined ? 'listByState' : 'listByStateAfter';
}

/** Named parameters of a list query. */
export function listParams(query: ListQuery): Record<string, string | number> {
  return {
    tenant: query.tenant,
    limit: query.limit,
    ...(query.state === undefined ? {} : { state: query.state }),
    ...(query.after === undefined ? {} : { createdAt: query.after.createdAt, upstreamId: query.after.upstreamId }),
  };
}
