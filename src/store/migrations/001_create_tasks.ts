import type { Migration } from './Migration';

const STATES = `'submitting', 'submit_failed', 'submitted', 'processing', 'succeeded', 'failed'`;
const MODES = `'TEXT_TO_VIDEO', 'AUDIO_TO_VIDEO'`;

/**
 * Indexes follow the reads: the tenant's newest-first page (optionally by state), the watchers' active tasks
 * and the reconciler's `submitting` rows. Only accepted rows (with an upstream id) are ever listed, so the
 * list indexes are partial and stay small while intents come and go.
 */
const indexes = [
  `CREATE INDEX tasks_list ON tasks (tenant, created_at DESC, upstream_id DESC) WHERE upstream_id IS NOT NULL`,
  `CREATE INDEX tasks_list_by_state ON tasks (tenant, state, created_at DESC, upstream_id DESC) WHERE upstream_id IS NOT NULL`,
  `CREATE INDEX tasks_active ON tasks (checked_at) WHERE state IN ('submitted', 'processing')`,
  `CREATE INDEX tasks_submitting ON tasks (lease_until) WHERE state = 'submitting'`,
];

export const createTasks: Migration = {
  version: 1,
  description: 'tasks table',
  sqlite: [
    `CREATE TABLE tasks (
      id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN (${STATES})),
      upstream_id TEXT UNIQUE,
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
      UNIQUE (tenant, idempotency_key)
    ) STRICT`,
    ...indexes,
  ],
  postgres: [
    // upstream_id sorts bytewise ("C") so page order is the same as SQLite's and does not depend on the server locale.
    `CREATE TABLE tasks (
      id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN (${STATES})),
      upstream_id TEXT COLLATE "C" UNIQUE,
      mode TEXT NOT NULL CHECK (mode IN (${MODES})),
      status_message TEXT,
      parent_video JSONB,
      videos JSONB NOT NULL DEFAULT '[]',
      idempotency_key TEXT,
      request_hash TEXT NOT NULL,
      idempotency_expires_at BIGINT,
      upstream_request_id TEXT,
      submit_error JSONB,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      recorded_at BIGINT NOT NULL,
      checked_at BIGINT NOT NULL,
      lease_until BIGINT NOT NULL,
      CONSTRAINT tasks_tenant_idempotency_key UNIQUE (tenant, idempotency_key)
    )`,
    ...indexes,
  ],
};
