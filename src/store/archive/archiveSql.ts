import type { ArchiveCandidate, ArchiveRow, ArchiveRowState, ArchiveStorageKind } from './ArchiveStore';

/**
 * The archive's statements in the SQL SQLite and PostgreSQL share, with `:name` parameters. What the dialects
 * force apart (a list parameter, row locks on a claim) is built by `archiveSqlFor`.
 */
const ROW = 'archives.task_id = :taskId AND archives.video_id = :videoId';

const DUE = `SELECT task_id, video_id FROM archives
  WHERE state = 'pending' AND next_attempt_at <= :now AND lease_until <= :now
  ORDER BY next_attempt_at LIMIT :limit`;

export function archiveSqlFor(dialect: 'sqlite' | 'postgres') {
  // a list bound as one parameter: JSON text for SQLite, an array for PostgreSQL
  const inList = (column: string) =>
    dialect === 'sqlite' ? `${column} IN (SELECT value FROM json_each(:ids))` : `${column} = ANY(:ids)`;
  return {
    candidates: `SELECT id, tenant, created_at, videos FROM tasks
      WHERE state = 'succeeded' AND archive_enqueued_at IS NULL AND updated_at >= :since
      ORDER BY updated_at LIMIT :limit`,
    insertRow: `INSERT INTO archives (task_id, video_id, tenant, url, state, storage, next_attempt_at, expires_at,
        task_created_at, created_at)
      VALUES (:taskId, :videoId, :tenant, :url, 'pending', :storage, :now, :expiresAt, :taskCreatedAt, :now)
      ON CONFLICT (task_id, video_id) DO NOTHING`,
    markEnqueued: `UPDATE tasks SET archive_enqueued_at = :now WHERE id = :taskId`,
    // SKIP LOCKED: two instances claiming at once take different rows instead of queueing on each other
    claimDue: `UPDATE archives SET lease_until = :leaseUntil, attempts = attempts + 1
      WHERE (task_id, video_id) IN (${DUE}${dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : ''})
        AND state = 'pending' AND lease_until <= :now
      RETURNING *`,
    renewLease: `UPDATE archives SET lease_until = :leaseUntil WHERE ${ROW} AND state = 'pending'`,
    releaseAllLeases: `UPDATE archives SET lease_until = 0 WHERE state = 'pending' AND lease_until > 0`,
    markArchived: `UPDATE archives SET state = 'archived', archived_at = :now, bytes = :bytes, sha256 = :sha256,
        storage_key = :storageKey, last_error = NULL, lease_until = 0
      WHERE ${ROW} AND state = 'pending'`,
    scheduleRetry: `UPDATE archives SET next_attempt_at = :nextAttemptAt, last_error = :error, lease_until = 0
      WHERE ${ROW} AND state = 'pending'`,
    markFailed: `UPDATE archives SET state = 'failed', last_error = :error, lease_until = 0
      WHERE ${ROW} AND state = 'pending'`,
    archivedBefore: `SELECT * FROM archives WHERE state = 'archived' AND archived_at < :before
      ORDER BY archived_at LIMIT :limit`,
    markDeleted: `UPDATE archives SET state = 'deleted', deleted_at = :now WHERE ${ROW} AND state = 'archived'`,
    byTasks: `SELECT * FROM archives WHERE tenant = :tenant AND ${inList('task_id')}`,
    byVideos: `SELECT * FROM archives WHERE tenant = :tenant AND ${inList('video_id')}`,
    get: `SELECT * FROM archives WHERE ${ROW}`,
    archivedBytes: `SELECT COALESCE(SUM(bytes), 0) AS total FROM archives
      WHERE tenant = :tenant AND state = 'archived' AND task_created_at >= :from AND task_created_at < :to`,
  } as const;
}

export type ArchiveSqlName = keyof ReturnType<typeof archiveSqlFor>;

/** A row as either driver returns it (PostgreSQL's BIGINT comes back as text). */
export interface ArchiveDbRow {
  task_id: string;
  video_id: string;
  tenant: string;
  url: string;
  state: string;
  storage: string;
  attempts: number | string;
  next_attempt_at: number | string;
  lease_until: number | string;
  expires_at: number | string;
  task_created_at: number | string;
  archived_at: number | string | null;
  bytes: number | string | null;
  sha256: string | null;
  storage_key: string | null;
  last_error: string | null;
}

export interface CandidateDbRow {
  id: string;
  tenant: string;
  created_at: number | string;
  videos: unknown;
}

const orNull = (value: number | string | null): number | null => (value === null ? null : Number(value));

export function toArchiveRow(row: ArchiveDbRow): ArchiveRow {
  return {
    taskId: row.task_id,
    videoId: row.video_id,
    tenant: row.tenant,
    url: row.url,
    state: row.state as ArchiveRowState,
    storage: row.storage as ArchiveStorageKind,
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    leaseUntil: Number(row.lease_until),
    expiresAt: Number(row.expires_at),
    taskCreatedAt: Number(row.task_created_at),
    archivedAt: orNull(row.archived_at),
    bytes: orNull(row.bytes),
    sha256: row.sha256,
    storageKey: row.storage_key,
    lastError: row.last_error,
  };
}

export function toCandidate(row: CandidateDbRow): ArchiveCandidate {
  const videos = (typeof row.videos === 'string' ? JSON.parse(row.videos) : row.videos) as Array<{
    id: string;
    url: string;
  }>;
  return {
    taskId: row.id,
    tenant: row.tenant,
    createdAt: Number(row.created_at),
    videos: videos.map(({ id, url }) => ({ id, url })),
  };
}

/** The parameters of one video's row, named as the statements above name them. */
export function enqueueParams(
  candidate: ArchiveCandidate,
  video: { id: string; url: string },
  storage: ArchiveStorageKind,
  expiresAt: number,
  now: number,
) {
  return {
    taskId: candidate.taskId,
    videoId: video.id,
    tenant: candidate.tenant,
    url: video.url,
    storage,
    now,
    expiresAt,
    taskCreatedAt: candidate.createdAt,
  };
}
