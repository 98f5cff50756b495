import type { Migration } from './Migration';

/**
 * Webhooks (src/services/webhooks/): new tables only, so no other migration's columns are touched.
 *
 * - `webhook_targets`: a task's callbackUrl, written with its intent (the create input is dropped once Kling has
 *   the task); `stopped_at` is set when the receiver answered 410 Gone: no further event is written for it.
 * - `webhook_deliveries`: the outbox. One row per (task, public status), written in the same transaction as the
 *   state change it reports, so the unique index makes the event id stable and a second writer a no-op. `seq` orders
 *   one task's events (a later one waits for the earlier); `claimed_until` is the lease of the instance sending it;
 *   `pending_since` starts the give-up clock (reset by a redelivery).
 *   (WITHOUT ROWID in SQLite: the id's b-tree is the table, no second index just for the key.)
 * - `webhook_signing_keys`: each tenant's secret generation and when it was last rotated (the secret itself is
 *   derived, never stored: src/services/webhooks/WebhookSecrets.ts).
 */
const INDEXES = [
  `CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (task_id, status)`,
  `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending'`,
  `CREATE INDEX webhook_deliveries_task ON webhook_deliveries (task_id, seq)`,
];

const DELIVERY_STATES = `'pending', 'delivered', 'failed'`;

export const webhooks: Migration = {
  version: 6,
  description: 'webhook targets, the webhook outbox and per-tenant signing key generations',
  sqlite: [
    `CREATE TABLE webhook_targets (
      task_id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      url TEXT NOT NULL,
      stopped_at INTEGER
    ) STRICT, WITHOUT ROWID`,
    `CREATE TABLE webhook_deliveries (
      id TEXT PRIMARY KEY,
      task_id TEXT NOT NULL,
      tenant TEXT NOT NULL,
      status TEXT NOT NULL,
      seq INTEGER NOT NULL,
      url TEXT NOT NULL,
      data TEXT NOT NULL,
      occurred_at INTEGER NOT NULL,
      state TEXT NOT NULL CHECK (state IN (${DELIVERY_STATES})),
      attempts INTEGER NOT NULL,
      next_attempt_at INTEGER NOT NULL,
      pending_since INTEGER NOT NULL,
      last_attempt_at INTEGER,
      last_response_status INTEGER,
      claimed_until INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID`,
    ...INDEXES,
    `CREATE TABLE webhook_signing_keys (
      tenant TEXT PRIMARY KEY,
      generation INTEGER NOT NULL,
      rotated_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID`,
  ],
  postgres: [
    `CREATE TABLE webhook_targets (
      task_id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      url TEXT NOT NULL,
      stopped_at BIGINT
    )`,
    `CREATE TABLE webhook_deliveries (
      id TEXT PRIMARY KEY,
      task_id TEXT NOT NULL,
      tenant TEXT NOT NULL,
      status TEXT NOT NULL,
      seq INTEGER NOT NULL,
      url TEXT NOT NULL,
      data TEXT NOT NULL,
      occurred_at BIGINT NOT NULL,
      state TEXT NOT NULL CHECK (state IN (${DELIVERY_STATES})),
      attempts INTEGER NOT NULL,
      next_attempt_at BIGINT NOT NULL,
      pending_since BIGINT NOT NULL,
      last_attempt_at BIGINT,
      last_response_status INTEGER,
      claimed_until BIGINT NOT NULL
    )`,
    ...INDEXES,
    `CREATE TABLE webhook_signing_keys (
      tenant TEXT PRIMARY KEY,
      generation INTEGER NOT NULL,
      rotated_at BIGINT NOT NULL
    )`,
  ],
};
