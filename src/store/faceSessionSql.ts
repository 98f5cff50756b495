import type { FaceSession } from '../domain/faceSession';
import type { FaceInfo } from '../domain/task';
import { DAY_MS, MAX_USAGE_RANGE_DAYS, type FaceUsage, type UsageQuery } from '../domain/usage';

/**
 * The `face_sessions` table (migration 005), in the SQL both dialects share, with `:name` parameters.
 * A session is written once (Kling's session_id is unique) and then only read. An identification costs units, so
 * sessions stay, expired or not, as long as `usage` can look back (FACE_SESSION_KEEP_MS); older ones are deleted
 * by the next write.
 */
const IDENTIFIED = `tenant = :tenant AND created_at >= :from AND created_at < :to`;
// Units were kept as Kling's decimal in a float column: rounded to whole millionths they add up exactly.
const FACE_TOTALS = `COUNT(*) AS identifications, SUM(CAST(ROUND(units_charged * 1000000) AS BIGINT)) AS units`;

export const FACE_SESSION_SQL = {
  deleteOldFaceSessions: 'DELETE FROM face_sessions WHERE expires_at < :before',
  // Both read a range of face_sessions_usage (migration 009).
  faceUsageTotal: `SELECT ${FACE_TOTALS} FROM face_sessions WHERE ${IDENTIFIED}`,
  faceUsageByDay: `SELECT created_at / 86400000 AS day, ${FACE_TOTALS} FROM face_sessions WHERE ${IDENTIFIED}
    GROUP BY created_at / 86400000 ORDER BY 1`,
  insertFaceSession: `INSERT INTO face_sessions (id, tenant, faces, units_charged, upstream_request_id, created_at, expires_at)
    VALUES (:id, :tenant, :faces, :unitsCharged, :upstreamRequestId, :createdAt, :expiresAt)
    ON CONFLICT (id) DO NOTHING`,
  faceSessionForTenant: 'SELECT * FROM face_sessions WHERE id = :id AND tenant = :tenant',
} as const;

export type FaceSessionSqlName = keyof typeof FACE_SESSION_SQL;

/** How long identifications are kept after they expire: a little more than `usage`'s longest range. */
export const FACE_SESSION_KEEP_MS = (MAX_USAGE_RANGE_DAYS + 31) * DAY_MS;

/** A face-usage row as both drivers return it (pg: COUNT and SUM as strings; SUM of no rows is NULL). */
export interface FaceUsageRow {
  day?: number | string;
  identifications: number | string;
  units: number | string | null;
}

export function faceUsageStatement(query: UsageQuery): 'faceUsageTotal' | 'faceUsageByDay' {
  return query.byDay ? 'faceUsageByDay' : 'faceUsageTotal';
}

export function faceUsageTotals(rows: readonly FaceUsageRow[]): FaceUsage[] {
  return rows.map((row) => ({
    day: row.day === undefined ? null : Number(row.day) * DAY_MS,
    identifications: Number(row.identifications),
    unitsChargedMicro: Number(row.units ?? 0),
  }));
}

/** The row as both drivers hand it back (BIGINT as strings and JSONB parsed in PostgreSQL; TEXT JSON in SQLite). */
export interface FaceSessionRow {
  id: string;
  tenant: string;
  faces: unknown;
  units_charged: number | string | null;
  upstream_request_id: string | null;
  created_at: number | string;
  expires_at: number | string;
}

export function faceSessionParams(session: FaceSession): Record<string, string | number | null> {
  return {
    id: session.id,
    tenant: session.tenant,
    faces: JSON.stringify(session.faces),
    unitsCharged: session.unitsCharged,
    upstreamRequestId: session.upstreamRequestId,
    createdAt: session.createdAt,
    expiresAt: session.expiresAt,
  };
}

export function rowToFaceSession(row: FaceSessionRow): FaceSession {
  return {
    id: row.id,
    tenant: row.tenant,
    faces: (typeof row.faces === 'string' ? JSON.parse(row.faces) : row.faces) as FaceInfo[],
    unitsCharged: row.units_charged === null ? null : Number(row.units_charged),
    upstreamRequestId: row.upstream_request_id,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}
