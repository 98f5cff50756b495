import type { Migration } from './Migration';

const STATES = `'queued', 'canceled', 'submitting', 'submit_failed', 'submitted', 'processing', 'succeeded', 'failed'`;
const MODES = `'TEXT_TO_VIDEO', 'AUDIO_TO_VIDEO'`;
const KINDS = `'STANDARD', 'ADVANCED'`;

/**
 * Advanced lip-sync (docs/kling.md, "Advanced lip-sync"):
 *
 * - `kind`: which of Kling's endpoint families the task lives in; every existing row is STANDARD;
 * - `mode` becomes nullable: an ADVANCED task has no mode (its CHECK lets NULL through in both dialects);
 * - `face`: the chosen face of an ADVANCED task (JSON: id, startMs, endMs);
 * - `tasks_list_by_kind`: the tenant's newest-first page of one kind (`lipSyncTasks(kind:)`);
 * - `face_sessions`: identify-face answers per tenant, read before an advanced create is sent, with their expiry.
 */
const INDEXES = [
  `CREATE INDEX tasks_list_by_kind ON tasks (tenant, kind, created_at, id) WHERE state <> 'submit_failed'`,
];

/** The indexes of 002 and 004 (SQLite drops them with the old table, so they are created again). */
const KEPT_INDEXES = [
  `CREATE UNIQUE INDEX tasks_idempotency_key ON tasks (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL`,
  `CREATE UNIQUE INDEX tasks_upstream_id ON tasks (upstream_id) WHERE upstream_id IS NOT NULL`,
  `CREATE INDEX tasks_active ON tasks (state) WHERE state IN ('submitted', 'processing')`,
  `CREATE INDEX tasks_submitting ON tasks (lease_until) WHERE state = 'submitting'`,
  `CREATE INDEX tasks_list ON tasks (tenant, created_at, id) WHERE state <> 'submit_failed'`,
  `CREATE INDEX tasks_list_by_state ON tasks (tenant, state, created_at, id) WHERE state <> 'submit_failed'`,
  `CREATE INDEX tasks_queue ON tasks (queued_at, id) WHERE state = 'queued'`,
  `CREATE INDEX tasks_served ON tasks (tenant, dispatched_at) WHERE dispatched_at IS NOT NULL`,
];

/** The columns as of migration 004, spelled out: a migration must not change when later code adds columns. */
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
  'queued_at',
  'request',
  'dispatched_at',
].join(', ');

/** Expired sessions are deleted by expiry: the index keeps that a range scan. */
const FACE_SESSION_INDEXES = [`CREATE INDEX face_sessions_expiry ON face_sessions (expires_at)`];

export const advancedLipSync: Migration = {
  version: 5,
  description: 'task kind (STANDARD | ADVANCED), nullable mode, chosen face; face_sessions table',
  // SQLite cannot drop NOT NULL in place: the table is rebuilt as in 002 and 004.
  sqlite: [
    `CREATE TABLE tasks_005 (
      id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN (${STATES})),
      upstream_id TEXT,
      mode TEXT CHECK (mode IN (${MODES})),
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
      lease_until INTEGER NOT NULL,
      queued_at INTEGER,
      request TEXT,
      dispatched_at INTEGER,
      kind TEXT NOT NULL DEFAULT 'STANDARD' CHECK (kind IN (${KINDS})),
      face TEXT
    ) STRICT`,
    `INSERT INTO tasks_005 (${COLUMNS}) SELECT ${COLUMNS} FROM tasks ORDER BY id`,
    `DROP TABLE tasks`,
    `ALTER TABLE tasks_005 RENAME TO tasks`,
    ...KEPT_INDEXES,
    ...INDEXES,
    // WITHOUT ROWID: the session id is the table's own b-tree (no second index for the key), as in 003's settings.
    `CREATE TABLE face_sessions (
      id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      faces TEXT NOT NULL,
      units_charged REAL,
      upstream_request_id TEXT,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID`,
    ...FACE_SESSION_INDEXES,
  ],
  postgres: [
    `ALTER TABLE tasks ALTER COLUMN mode DROP NOT NULL`,
    `ALTER TABLE tasks ADD COLUMN kind TEXT NOT NULL DEFAULT 'STANDARD' CONSTRAINT tasks_kind_check CHECK (kind IN (${KINDS}))`,
    `ALTER TABLE tasks ADD COLUMN face JSONB`,
    ...INDEXES,
    `CREATE TABLE face_sessions (
      id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      faces JSONB NOT NULL,
      units_charged DOUBLE PRECISION,
      upstream_request_id TEXT,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL
    )`,
    ...FACE_SESSION_INDEXES,
  ],
};
