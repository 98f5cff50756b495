import type { Migration } from './Migration';

const STATES = `'pending', 'archived', 'failed', 'deleted'`;

/** One row per result video to keep (src/services/archive/Archiver.ts); the dialects differ only in integer types. */
const archivesTable = (int: string, strict: string) => `CREATE TABLE archives (
    task_id TEXT NOT NULL,
    video_id TEXT NOT NULL,
    tenant TEXT NOT NULL,
    url TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN (${STATES})),
    storage TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at ${int} NOT NULL,
    lease_until ${int} NOT NULL DEFAULT 0,
    expires_at ${int} NOT NULL,
    task_created_at ${int} NOT NULL,
    created_at ${int} NOT NULL,
    archived_at ${int},
    deleted_at ${int},
    bytes ${int},
    sha256 TEXT,
    storage_key TEXT,
    last_error TEXT,
    PRIMARY KEY (task_id, video_id)
  )${strict}`;

const INDEXES = [
  // what the archiver picks up: due, unleased work
  `CREATE INDEX archives_due ON archives (next_attempt_at) WHERE state = 'pending'`,
  // what retention removes, oldest first
  `CREATE INDEX archives_kept ON archives (archived_at) WHERE state = 'archived'`,
  // archivedUrl by video, within a tenant
  `CREATE INDEX archives_by_video ON archives (tenant, video_id)`,
  // archived bytes per tenant over a time range (usage)
  `CREATE INDEX archives_usage ON archives (tenant, task_created_at) WHERE state = 'archived'`,
  // succeeded tasks whose videos were not handed to the archiver yet: only those stay in this index
  `CREATE INDEX tasks_archive_due ON tasks (updated_at) WHERE state = 'succeeded' AND archive_enqueued_at IS NULL`,
];

/**
 * The result archive. Only new objects and one added column: another migration may rebuild `tasks`, and the
 * archive must not depend on the shape of its other columns. `tasks.archive_enqueued_at` marks a succeeded task
 * whose videos have rows in `archives`, so finding the next ones to archive reads a partial index that holds
 * only the few not yet handed over.
 */
export const archive: Migration = {
  version: 8,
  description: 'result archive: archives table, tasks.archive_enqueued_at',
  sqlite: [
    archivesTable('INTEGER', ' STRICT, WITHOUT ROWID'),
    `ALTER TABLE tasks ADD COLUMN archive_enqueued_at INTEGER`,
    ...INDEXES,
  ],
  postgres: [archivesTable('BIGINT', ''), `ALTER TABLE tasks ADD COLUMN archive_enqueued_at BIGINT`, ...INDEXES],
};
