import type { Migration } from './Migration';

const STATES = `'submitting', 'submit_failed', 'submitted', 'processing', 'succeeded', 'failed'`;
const MODES = `'TEXT_TO_VIDEO', 'AUDIO_TO_VIDEO'`;

/**
 * Fewer index writes per task, for both dialects alike:
 *
 * - The two uniqueness rules become partial unique indexes. As table constraints they indexed every row, so each
 *   intent (no upstream id yet, usually no idempotency key) wrote two index entries that only ever held NULLs.
 * - `tasks_active` was keyed on `checked_at`, which every poll rewrites: each poll moved the row's entry. The
 *   watchers' `listActive` only needs to find the active rows (it sorts the few of them), so the key is now the
 *   state, which only changes when the task does.
 *
 * - The list indexes were DESC, so each new task (the newest) went in at the left edge, where SQLite's and
 *   PostgreSQL's b-trees split pages half-full; ascending, new tasks append at the right edge (full pages, fewer
 *   splits) and the newest-first pages are the same index read backwards, as both planners do.
 *
 * `tasks_submitting` serves the reconciler as it is (see 001) and is recreated unchanged.
 * The table keeps its rowid (measured: WITHOUT ROWID made the file 25% larger and each create write more pages,
 * since a row is too wide for an index b-tree and every secondary index then carries the 36-character id).
 * Record ids are time-ordered, so the id index grows at its right edge like the rowid does.
 */
const INDEXES = [
  `CREATE UNIQUE INDEX tasks_idempotency_key ON tasks (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL`,
  `CREATE UNIQUE INDEX tasks_upstream_id ON tasks (upstream_id) WHERE upstream_id IS NOT NULL`,
  `CREATE INDEX tasks_active ON tasks (state) WHERE state IN ('submitted', 'processing')`,
  `CREATE INDEX tasks_list ON tasks (tenant, created_at, upstream_id) WHERE upstream_id IS NOT NULL`,
  `CREATE INDEX tasks_list_by_state ON tasks (tenant, state, created_at, upstream_id) WHERE upstream_id IS NOT NULL`,
];

/** The index of 001 that stays as it was (SQLite drops it with the old table, so it is created again). */
const KEPT_INDEXES = [`CREATE INDEX tasks_submitting ON tasks (lease_until) WHERE state = 'submitting'`];

/** The columns as of this migration, spelled out: a migration must not change when later code adds columns. */
const COLUMNS = [
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
].join(', ');

export const leanTaskIndexes: Migration = {
  version: 2,
  description: 'partial unique indexes instead of UNIQUE constraints; active tasks indexed by state',
  // SQLite cannot drop a table constraint: the table is rebuilt (https://www.sqlite.org/lang_altertable.html,
  // "making other kinds of table schema changes"), inside the migration's transaction. No foreign key, view or
  // trigger refers to `tasks`, so the steps about them have nothing to do.
  sqlite: [
    `CREATE TABLE tasks_002 (
      id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN (${STATES})),
      upstream_id TEXT,
      mode TEXT NOT NULL CHECK (mode IN (${MODES})),
      status_message TEXT,
      parent_video TEXT,
      videos TEXT NOT NULL DEFAULT '[]',
      idempotency_key TEXT,
      request_hash TEXT NOT NULL,
      idempotency_expires_at INTEGER,
      upstream_request_id TEXT,
      submit_error TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      recorded_at INTEGER NOT NULL,
      checked_at INTEGER NOT NULL,
      lease_until INTEGER NOT NULL
    ) STRICT`,
    `INSERT INTO tasks_002 (${COLUMNS}) SELECT ${COLUMNS} FROM tasks ORDER BY id`,
    `DROP TABLE tasks`,
    `ALTER TABLE tasks_002 RENAME TO tasks`,
    ...INDEXES,
    ...KEPT_INDEXES,
  ],
  postgres: [
    `ALTER TABLE tasks DROP CONSTRAINT tasks_tenant_idempotency_key`,
    `ALTER TABLE tasks DROP CONSTRAINT tasks_upstream_id_key`,
    `DROP INDEX tasks_active`,
    `DROP INDEX tasks_list`,
    `DROP INDEX tasks_list_by_state`,
    ...INDEXES,
  ],
};
