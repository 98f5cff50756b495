import type { FaceSession } from '../domain/faceSession';
import type { FaceInfo } from '../domain/task';

/**
 * The `face_sessions` table (migration 005), in the SQL both dialects share, with `:name` parameters.
 * A session is written once (Kling's session_id is unique) and then only read; expired ones are deleted by the
 * next write, so the table holds about a TTL's worth of identifications.
 */
export const FACE_SESSION_SQL = {
  deleteExpiredFaceSessions: 'DELETE FROM face_sessions WHERE expires_at < :now',
  insertFaceSession: `INSERT INTO face_sessions (id, tenant, faces, units_charged, upstream_request_id, created_at, expires_at)
    VALUES (:id, :tenant, :faces, :unitsCharged, :upstreamRequestId, :createdAt, :expiresAt)
    ON CONFLICT (id) DO NOTHING`,
  faceSessionForTenant: 'SELECT * FROM face_sessions WHERE id = :id AND tenant = :tenant',
} as const;

export type FaceSessionSqlName = keyof typeof FACE_SESSION_SQL;

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
