import type { Migration } from './Migration';

/**
 * `usage` counts identify-face calls too (they cost units): their range by tenant and creation time, with the
 * units in the index so the totals are read from it alone. An index only: nothing else changes.
 */
const FACE_USAGE_INDEX = `CREATE INDEX face_sessions_usage ON face_sessions (tenant, created_at, units_charged)`;

export const faceUsage: Migration = {
  version: 9,
  description: 'identifications in usage: face sessions by tenant and creation time',
  sqlite: [FACE_USAGE_INDEX],
  postgres: [FACE_USAGE_INDEX],
};
