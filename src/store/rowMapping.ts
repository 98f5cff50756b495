import type { StoredError, TaskMode, TaskRecord, TaskState, VideoInfo } from '../domain/task';

/**
 * The `tasks` row as both drivers hand it back. Times are BIGINT in PostgreSQL (pg returns them as strings)
 * and JSON columns are TEXT in SQLite (strings) but JSONB in PostgreSQL (already parsed).
 */
export interface TaskRow {
  id: string;
  tenant: string;
  state: string;
  upstream_id: string | null;
  mode: string;
  status_message: string | null;
  parent_video: unknown;
  videos: unknown;
  idempotency_key: string | null;
  request_hash: string;
  idempotency_expires_at: number | string | null;
  upstream_request_id: string | null;
  submit_error: unknown;
  created_at: number | string;
  updated_at: number | string;
  recorded_at: number | string;
  checked_at: number | string;
  lease_until: number | string;
}

export const TASK_COLUMNS = [
  'id',
  'tenant',
  'state',
  'upstream_id',
  'mode',
  'status_message',
  'parent_video',
  'videos',
  'idempotency_key',
  'request_hash',
  'idempotency_expires_at',
  'upstream_request_id',
  'submit_error',
  'created_at',
  'updated_at',
  'recorded_at',
  'checked_at',
  'lease_until',
] as const satisfies readonly (keyof TaskRow)[];

/** What both drivers bind: JSON goes as text (pg would send a JS array as a PostgreSQL array, not JSON). */
export type TaskRowParams = Record<(typeof TASK_COLUMNS)[number], string | number | null>;

/** The columns an upstream answer (acceptance or later snapshot) writes; everything else is fixed at intent time. */
export const ANSWER_COLUMNS = [
  'upstream_id',
  'state',
  'status_message',
  'parent_video',
  'videos',
  'created_at',
  'updated_at',
  'upstream_request_id',
  'submit_error',
  'checked_at',
] as const satisfies readonly (keyof TaskRow)[];

/** JSON columns are bound as text in both dialects. */
export function jsonParam(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}

function json<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

function epochMs(value: number | string): number {
  return typeof value === 'number' ? value : Number(value);
}

export function rowToRecord(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    state: row.state as TaskState,
    upstreamId: row.upstream_id,
    mode: row.mode as TaskMode,
    statusMessage: row.status_message,
    parentVideo: json<VideoInfo | null>(row.parent_video),
    videos: json<VideoInfo[]>(row.videos),
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    idempotencyExpiresAt: row.idempotency_expires_at === null ? null : epochMs(row.idempotency_expires_at),
    upstreamRequestId: row.upstream_request_id,
    submitError: json<StoredError | null>(row.submit_error),
    createdAt: epochMs(row.created_at),
    updatedAt: epochMs(row.updated_at),
    recordedAt: epochMs(row.recorded_at),
    checkedAt: epochMs(row.checked_at),
    leaseUntil: epochMs(row.lease_until),
  };
}

export function recordToParams(record: TaskRecord): TaskRowParams {
  return {
    id: record.id,
    tenant: record.tenant,
    state: record.state,
    upstream_id: record.upstreamId,
    mode: record.mode,
    status_message: record.statusMessage,
    parent_video: jsonParam(record.parentVideo),
    videos: JSON.stringify(record.videos),
    idempotency_key: record.idempotencyKey,
    request_hash: record.requestHash,
    idempotency_expires_at: record.idempotencyExpiresAt,
    upstream_request_id: record.upstreamRequestId,
    submit_error: jsonParam(record.submitError),
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    recorded_at: record.recordedAt,
    checked_at: record.checkedAt,
    lease_until: record.leaseUntil,
  };
}
