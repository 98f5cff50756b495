import type { FaceInfo, StoredError, TaskKind, TaskMode, TaskRecord, TaskState, VideoInfo } from '../domain/task';

/**
 * The `tasks` row as both drivers hand it back. Times are BIGINT in PostgreSQL (pg returns them as strings)
 * and JSON columns are TEXT in SQLite (strings) but JSONB in PostgreSQL (already parsed).
 */
export interface TaskRow {
  id: string;
  tenant: string;
  state: string;
  upstream_id: string | null;
  mode: string | null;
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
  queued_at: number | string | null;
  /** migration 005 */
  kind: string;
  face: unknown;
  /** migration 007: whole millionths of a unit (src/domain/units.ts) */
  units_charged_micro: number | string | null;
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
  'queued_at',
  'kind',
  'face',
  'units_charged_micro',
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
  'units_charged_micro',
] as const satisfies readonly (keyof TaskRow)[];

export type AnswerColumn = (typeof ANSWER_COLUMNS)[number];

/** The record fields an answer writes, one per answer column. */
export type AnswerFields = Pick<
  TaskRecord,
  | 'upstreamId'
  | 'state'
  | 'statusMessage'
  | 'parentVideo'
  | 'videos'
  | 'createdAt'
  | 'updatedAt'
  | 'upstreamRequestId'
  | 'submitError'
  | 'checkedAt'
  | 'unitsChargedMicro'
>;

/** The columns fixed when the intent is written: what an answer leaves alone. */
export const INTENT_COLUMNS = [
  'id',
  'tenant',
  'mode',
  'idempotency_key',
  'request_hash',
  'idempotency_expires_at',
  'recorded_at',
  'lease_until',
  'queued_at',
  'kind',
  'face',
] as const satisfies readonly (keyof TaskRow)[];

export type IntentRow = Pick<TaskRow, (typeof INTENT_COLUMNS)[number]>;

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
    mode: row.mode as TaskMode | null,
    kind: kindOf(row),
    face: json<FaceInfo | null>(row.face ?? null),
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
    queuedAt: row.queued_at === null || row.queued_at === undefined ? null : epochMs(row.queued_at),
    unitsChargedMicro: nullableNumber(row.units_charged_micro),
  };
}

/** A BIGINT that pg hands back as a string, or null. */
function nullableNumber(value: number | string | null | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

export function recordToParams(record: TaskRecord): TaskRowParams {
  return {
    id: record.id,
    tenant: record.tenant,
    mode: record.mode,
    idempotency_key: record.idempotencyKey,
    request_hash: record.requestHash,
    idempotency_expires_at: record.idempotencyExpiresAt,
    recorded_at: record.recordedAt,
    lease_until: record.leaseUntil,
    queued_at: record.queuedAt,
    kind: record.kind,
    face: jsonParam(record.face),
    ...answerToParams(record),
  };
}

/** The answer columns' values, as bound. */
export function answerToParams(fields: AnswerFields): Record<AnswerColumn, string | number | null> {
  return {
    upstream_id: fields.upstreamId,
    state: fields.state,
    status_message: fields.statusMessage,
    parent_video: jsonParam(fields.parentVideo),
    videos: JSON.stringify(fields.videos),
    created_at: fields.createdAt,
    updated_at: fields.updatedAt,
    upstream_request_id: fields.upstreamRequestId,
    submit_error: jsonParam(fields.submitError),
    checked_at: fields.checkedAt,
    units_charged_micro: fields.unitsChargedMicro,
  };
}

/**
 * The record of a row whose intent columns (and its created_at, which a queued task keeps) were read back and
 * whose answer columns were just written.
 */
export function answeredRecord(row: IntentRow & Pick<TaskRow, 'created_at'>, fields: AnswerFields): TaskRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    state: fields.state,
    upstreamId: fields.upstreamId,
    mode: row.mode as TaskMode | null,
    kind: kindOf(row),
    face: json<FaceInfo | null>(row.face ?? null),
    statusMessage: fields.statusMessage,
    parentVideo: fields.parentVideo,
    videos: fields.videos,
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    idempotencyExpiresAt: row.idempotency_expires_at === null ? null : epochMs(row.idempotency_expires_at),
    upstreamRequestId: fields.upstreamRequestId,
    submitError: fields.submitError,
    createdAt: epochMs(row.created_at),
    updatedAt: fields.updatedAt,
    recordedAt: epochMs(row.recorded_at),
    checkedAt: fields.checkedAt,
    leaseUntil: epochMs(row.lease_until),
    queuedAt: row.queued_at === null ? null : epochMs(row.queued_at),
    unitsChargedMicro: fields.unitsChargedMicro,
  };
}

/** The column's CHECK allows only the two kinds; anything but ADVANCED reads as STANDARD. */
function kindOf(row: Pick<TaskRow, 'kind'>): TaskKind {
  return row.kind === 'ADVANCED' ? 'ADVANCED' : 'STANDARD';
}
