import { createTasks } from './001_create_tasks';
import { leanTaskIndexes } from './002_lean_task_indexes';
import { settings } from './003_settings';
import { taskQueue } from './004_task_queue';
import { advancedLipSync } from './005_advanced_lip_sync';
import { webhooks } from './006_webhooks';
import { unitsCharged } from './007_units_charged';
import { archive } from './008_archive';
import { faceUsage } from './009_face_usage';
import type { Migration } from './Migration';

export type { Migration } from './Migration';

/** Every migration, oldest first. Append only: an applied migration is never edited. */
export const MIGRATIONS: readonly Migration[] = [
  createTasks,
  leanTaskIndexes,
  settings,
  taskQueue,
  advancedLipSync,
  webhooks,
  unitsCharged,
  archive,
  faceUsage,
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** The migrations a database at `appliedVersions` still needs; refuses a schema newer than this code. */
export function pendingMigrations(appliedVersions: readonly number[]): Migration[] {
  const newest = Math.max(0, ...appliedVersions);
  if (newest > LATEST_SCHEMA_VERSION) {
    throw new Error(
      `the database schema is at version ${newest}, newer than this server knows (${LATEST_SCHEMA_VERSION}): run a newer server`,
    );
  }
  const applied = new Set(appliedVersions);
  return MIGRATIONS.filter((m) => !applied.has(m.version));
}

/** The bookkeeping statements, valid in both dialects. */
export const MIGRATION_SQL = {
  createTable: 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
  appliedVersions: 'SELECT version FROM schema_migrations',
  record: 'INSERT INTO schema_migrations (version, applied_at) VALUES (:version, :appliedAt)',
} as const;
