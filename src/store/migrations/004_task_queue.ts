import type { Migration } from './Migration';

const STATES = `'queued', 'canceled', 'submitting', 'submit_failed', 'submitted', 'processing', 'succeeded', 'failed'`;

const MODES = `'TEXT_TO_VIDEO', 'AUDIO_TO_VIDEO'`;

/**
 * Our own task ids and the queue (src/services/QueueDispatcher.ts):
 *
 * - states `queued` (waiting here for a concurrency slot at Kling) and `canceled`;
 * - `queued_at` (FIFO place within a tenant), `request` (the create input, kept until Kling accepts the task so a
 *   queued task can be sent later, by any instance) and `dispatched_at` (when a tenant was last served: the
 *   round-robin turn between tenants);
 * - the list indexes keyed by our id instead of the upstream id, and over every row a client has seen (queued and
 *   canceled rows have no upstream id); a `submit_failed` row answered its create with an error and stays unlisted.
 */
const INDEXES = [
  `CREATE INDEX tasks_list ON tasks (tenant, created_at, id) WHERE state <> 'submit_failed'`,
  `CREATE INDEX tasks_list_by_state ON tasks (tenant, state, created_at, id) WHERE state <> 'submit_failed'`,
  `CREATE INDEX tasks_queue ON tasks (queued_at, id) WHERE state = 'queued'`,
  `CREATE INDEX tasks_served ON tasks (tenant, dispatched_at) WHERE dispatched_at IS NOT NULL`,
];

/** The indexes of 002 that stay as they were (SQLite drops them with the old table, so they are created again). */
const KEPT_INDEXES = [
  `CREATE UNIQUE INDEX tasks_idempotency_key ON tasks (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL`,
  `CREATE UNIQUE INDEX tasks_upstream_id ON tasks (upstream_id) WHERE upstream_id IS NOT NULL`,
  `CREATE INDEX tasks_active ON tasks (state) WHERE state IN ('submitted', 'processing')`,
  `CREATE INDEX tasks_submitting ON tasks (lease_until) WHERE state = 'submitting'`,
];

/** The columns as of migration 002, spelled out: a migration must not change when later code adds columns. */
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

export const taskQueue: Migration = {
  version: 4,
  description: 'queued and canceled states, queue columns, list indexes keyed by our own id',
  // SQLite cannot change a CHECK constraint in place: the table is rebuilt as in 002.
  sqlite: [
    `CREATE TABLE tasks_004 (
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
      lease_until INTEGER NOT NULL,
      queued_at INTEGER,
      request TEXT,
      dispatched_at INTEGER
    ) STRICT`,
    `INSERT INTO tasks_004 (${COLUMNS}) SELECT ${COLUMNS} FROM tasks ORDER BY id`,
    `DROP TABLE tasks`,
    `ALTER TABLE tasks_004 RENAME TO tasks`,
    ...KEPT_INDEXES,
    ...INDEXES,
  ],
  postgres: [
    // 001 declared the check on the column, so PostgreSQL named it <table>_<column>_check.
    `ALTER TABLE tasks DROP CONSTRAINT tasks_state_check`,
    `ALTER TABLE tasks ADD CONSTRAINT tasks_state_check CHECK (state IN (${STATES}))`,
    `ALTER TABLE tasks ADD COLUMN queued_at BIGINT`,
    `ALTER TABLE tasks ADD COLUMN request TEXT`,
    `ALTER TABLE tasks ADD COLUMN dispatched_at BIGINT`,
    `DROP INDEX tasks_list`,
    `DROP INDEX tasks_list_by_state`,
    ...INDEXES,
  ],
};
