import { DatabaseError, Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import type { FaceSession } from '../domain/faceSession';
import type { StoredError, TaskIntent, TaskRecord, TaskSnapshot, TaskState } from '../domain/task';
import {
  FACE_SESSION_KEEP_MS,
  FACE_SESSION_SQL,
  faceSessionParams,
  faceUsageStatement,
  faceUsageTotals,
  rowToFaceSession,
  type FaceSessionRow,
  type FaceUsageRow,
} from './faceSessionSql';
import type { BudgetUse, FaceUsage, UsageQuery, UsageTotals } from '../domain/usage';
import { MIGRATION_SQL, pendingMigrations } from './migrations';
import { positionalValues, toPositional, type PositionalSql } from './namedParameters';
import {
  answeredRecord,
  answerToParams,
  jsonParam,
  recordToParams,
  rowToRecord,
  type IntentRow,
  type TaskRow,
} from './rowMapping';
import { TaskNotFoundError, UpstreamIdConflictError } from './storeErrors';
import { TASK_SQL, listParams, listStatementName } from './taskSql';
import { claimedIntentRecord, outboxView, slotFree, type ClaimedIntentResult } from './claimedIntent';
import { acceptance, acceptedRecord, intentRecord, mergeSnapshot } from './taskTransitions';
import type { ClaimedTask, IntentResult, ListQuery, QueueStats, SnapshotResult, TaskStore } from './TaskStore';
import { chargedBy, UnitsChargedListeners } from './unitsCharged';
import {
  budgetParams,
  budgetUse,
  usageParams,
  usageStatement,
  usageTotals,
  type BudgetRow,
  type UsageRow,
} from './usageSql';
import { PostgresWebhookOutbox } from './PostgresWebhookOutbox';
import type { ArchiveStore } from './archive/ArchiveStore';
import { PostgresArchiveStore } from './archive/PostgresArchiveStore';

type Params = Readonly<Record<string, unknown>>;
type Queryable = Pool | PoolClient;

/** The shared statements, plus the row locks that make a read-decide-write atomic between instances. */
const STATEMENT_SQL = {
  ...TASK_SQL,
  ...FACE_SESSION_SQL,
  byIdForUpdate: `${TASK_SQL.byId} FOR UPDATE`,
  byUpstreamIdForUpdate: `${TASK_SQL.byUpstreamId} FOR UPDATE`,
};
type StatementName = keyof typeof STATEMENT_SQL;

// Named, so each pooled connection parses and plans a statement once and then only binds values.
const STATEMENTS = Object.fromEntries(
  Object.entries(STATEMENT_SQL).map(([name, sql]) => [name, { name: `lipsync_tasks_${name}`, ...toPositional(sql) }]),
) as Record<StatementName, PositionalSql & { name: string }>;

const RECORD_MIGRATION = toPositional(MIGRATION_SQL.record);

/** One advisory lock key for this project's migrations; instances starting together queue on it. */
const MIGRATION_LOCK_KEY = 4_715_209_361;
/**
 * The queue's advisory lock: every claim (count the live tasks, then claim up to the cap) holds it until its
 * transaction ends, so the cap is cluster-wide and two instances never claim the same rows.
 */
const QUEUE_LOCK_KEY = 4_715_209_362;

/**
 * The store shared by several instances. Every guarantee comes from the database itself: unique
 * constraints (idempotency keys, upstream ids), compare-and-set updates (claims) and row locks (answers).
 */
export class PostgresTaskStore implements TaskStore {
  readonly kind = 'postgres';
  readonly singleProcess = false;
  private readonly pool: Pool;
  private closed = false;
  private readonly unitsCharged = new UnitsChargedListeners();
  readonly webhooks: PostgresWebhookOutbox;
  readonly archives: ArchiveStore;

  /** Connects lazily; `migrate()` is the first round trip. */
  constructor(connectionString: string) {
    // Without a timeout an unreachable host would hang startup (and every query) forever.
    this.pool = new Pool({ connectionString, connectionTimeoutMillis: 10_000 });
    // An idle connection dropped by the server must not crash the process: the pool replaces it,
    // and the next query (or /readyz ping) reports the outage if it lasts.
    this.pool.on('error', () => undefined);
    this.webhooks = new PostgresWebhookOutbox(this.pool, (work) => this.transaction(work));
    this.archives = new PostgresArchiveStore(this.pool);
  }

  async migrate(): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      await client.query(MIGRATION_SQL.createTable);
      const applied = await client.query<{ version: number }>(MIGRATION_SQL.appliedVersions);
      for (const migration of pendingMigrations(applied.rows.map((row) => row.version))) {
        for (const statement of migration.postgres) await client.query(statement);
        const values = positionalValues(RECORD_MIGRATION, { version: migration.version, appliedAt: Date.now() });
        await client.query(RECORD_MIGRATION.text, values);
      }
    });
  }

  async insertIntent(intent: TaskIntent, now: number): Promise<IntentResult> {
    return this.webhooks.afterIntent(
      intent,
      this.transaction((client) => this.insertIntentIn(client, intent, now, null)),
    );
  }

  async insertIntentClaimed(intent: TaskIntent, cap: number | null, now: number): Promise<ClaimedIntentResult> {
    let claimed = false;
    const committed = this.transaction(async (client) => {
      // The claim's own lock (QUEUE_LOCK_KEY): the look at the queue, the count and the insert are one step
      // cluster-wide, so instances creating and claiming at once never overfill the cap.
      await client.query(`SELECT pg_advisory_xact_lock(${QUEUE_LOCK_KEY})`);
      const waiting = (await this.run(client, 'queueWaiting', {})).rows.length > 0;
      let live = 0;
      if (!waiting && cap !== null)
        live = Number((await this.run<{ count: string }>(client, 'countLive', {})).rows[0].count);
      claimed = slotFree(waiting, live, cap);
      return this.insertIntentIn(client, intent, now, claimed ? now : null);
    });
    const result = await this.webhooks.afterIntent(intent, committed);
    return { ...result, claimed: claimed && result.created };
  }

  /** insertIntent's write, in the caller's transaction; with `claimedAt`, the row is written as claimed then. */
  private async insertIntentIn(
    client: PoolClient,
    intent: TaskIntent,
    now: number,
    claimedAt: number | null,
  ): Promise<IntentResult> {
    const record = claimedAt === null ? intentRecord(intent) : claimedIntentRecord(intent);
    const key = { tenant: intent.tenant, idempotencyKey: intent.idempotencyKey, now };
    if (intent.idempotencyKey !== null) await this.run(client, 'releaseExpiredKey', key);
    const params = { ...recordToParams(record), request: intent.request ?? null };
    // ON CONFLICT waits for a concurrent insert of the same key to commit, then yields to it.
    const inserted =
      claimedAt === null
        ? await this.run(client, 'insertIntent', params)
        : await this.run(client, 'insertClaimedIntent', { ...params, dispatchedAt: claimedAt });
    if (inserted.rowCount === 1) {
      const created = { created: true as const, record };
      await this.webhooks.recordIntent(client, intent, outboxView(intent, created), now);
      return created;
    }
    return { created: false, record: await this.existing(client, 'byIdempotencyKey', key) };
  }

  async markAccepted(
    id: string,
    snapshot: TaskSnapshot,
    upstreamRequestId: string | null,
    now: number,
  ): Promise<TaskRecord> {
    // The usual case in one statement: a row no answer has reached yet takes the acceptance as it is. A
    // concurrent acceptance makes the row lock re-check `upstream_id IS NULL` and this one falls through. One
    // transaction with the webhook event it reports (src/store/webhookEvents.ts).
    const fields = acceptance(snapshot, upstreamRequestId, now);
    const written = await this.transaction(async (client) => {
      const accepted = await upstreamIdUnique(id, snapshot.upstreamId, () =>
        this.run<IntentRow & Pick<TaskRow, 'created_at'>>(client, 'acceptIntent', { id, ...answerToParams(fields) }),
      );
      if (accepted.rows.length > 0) {
        // A row without an upstream id has never had units.
        const record = await this.webhooks.recorded(client, answeredRecord(accepted.rows[0], fields), now);
        return { value: record, charged: chargedBy(null, record) };
      }
      const stored = await this.one(client, 'byIdForUpdate', { id });
      if (!stored) throw new TaskNotFoundError(id);
      const record = acceptedRecord(stored, snapshot, upstreamRequestId, now);
      await upstreamIdUnique(id, snapshot.upstreamId, () => this.run(client, 'saveAnswer', recordToParams(record)));
      return { value: await this.webhooks.recorded(client, record, now), charged: chargedBy(stored, record) };
    });
    return this.unitsCharged.committed(written);
  }

  async markSubmitFailed(id: string, error: StoredError, now: number): Promise<TaskRecord | null> {
    return (
      (await this.one(this.pool, 'markSubmitFailed', { id, submitError: jsonParam(error), now })) ??
      (await this.one(this.pool, 'byId', { id }))
    );
  }

  async claimSubmission(
    id: string,
    from: 'submit_failed' | 'submitting',
    leaseUntil: number,
    now: number,
  ): Promise<boolean> {
    const claim = from === 'submit_failed' ? 'claimFailed' : 'claimExpiredLease';
    return (await this.run(this.pool, claim, { id, leaseUntil, now })).rowCount === 1;
  }

  async releaseLease(id: string): Promise<void> {
    await this.run(this.pool, 'releaseLease', { id });
  }

  async applySnapshot(
    snapshot: TaskSnapshot,
    upstreamRequestId: string | null,
    now: number,
  ): Promise<SnapshotResult | null> {
    const written = await this.transaction(async (client) => {
      const stored = await this.one(client, 'byUpstreamIdForUpdate', { upstreamId: snapshot.upstreamId });
      if (!stored) return { value: null, charged: null };
      const result = mergeSnapshot(stored, snapshot, upstreamRequestId, now);
      await this.run(client, 'saveAnswer', recordToParams(result.record));
      return {
        value: await this.webhooks.recordedSnapshot(client, result, now),
        charged: chargedBy(stored, result.record),
      };
    });
    return this.unitsCharged.committed(written);
  }

  async claimQueued(cap: number | null, limit: number, leaseUntil: number, now: number): Promise<ClaimedTask[]> {
    return this.transaction(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(${QUEUE_LOCK_KEY})`);
      let room = limit;
      if (cap !== null) {
        const { rows } = await this.run<{ count: string }>(client, 'countLive', {});
        room = Math.min(limit, cap - Number(rows[0].count));
      }
      if (room <= 0) return [];
      const order = (await this.run<{ id: string }>(client, 'queueOrder', {})).rows.slice(0, room);
      const claimed: ClaimedTask[] = [];
      for (const [i, { id }] of order.entries()) {
        // `state = 'queued'` is re-checked under the row lock: a cancel that committed first wins.
        const { rows } = await this.run<TaskRow & { request: string }>(client, 'claimQueued', {
          id,
          leaseUntil,
          dispatchedAt: now + i,
          now,
        });
        if (rows.length > 0) claimed.push({ record: rowToRecord(rows[0]), request: rows[0].request });
      }
      return claimed;
    });
  }

  async requeue(id: string, now: number): Promise<TaskRecord | null> {
    return this.one(this.pool, 'requeue', { id, now });
  }

  async cancelQueued(id: string, tenant: string, now: number): Promise<TaskRecord | null> {
    return this.transaction(async (client) =>
      this.webhooks.recorded(client, await this.one(client, 'cancelQueued', { id, tenant, now }), now),
    );
  }

  async failSubmission(id: string, error: StoredError, now: number): Promise<TaskRecord | null> {
    return this.transaction(async (client) => {
      const params = { id, message: error.message, submitError: jsonParam(error), now };
      return this.webhooks.recorded(client, await this.one(client, 'failSubmission', params), now);
    });
  }

  async expireQueued(before: number, message: string, now: number): Promise<TaskRecord[]> {
    return this.transaction(async (client) => {
      const { rows } = await this.run(client, 'expireQueued', { before, message, now });
      return this.webhooks.recordedAll(client, rows.map(rowToRecord), now);
    });
  }

  async queueOrder(): Promise<string[]> {
    return (await this.run<{ id: string }>(this.pool, 'queueOrder', {})).rows.map((row) => row.id);
  }

  async queueStats(): Promise<QueueStats> {
    const stats = (await this.run<{ depth: string; oldest: string | null }>(this.pool, 'queueStats', {})).rows[0];
    const live = (await this.run<{ count: string }>(this.pool, 'countLive', {})).rows[0];
    return {
      depth: Number(stats.depth),
      oldestQueuedAt: stats.oldest === null ? null : Number(stats.oldest),
      live: Number(live.count),
    };
  }

  async getById(id: string, tenant?: string): Promise<TaskRecord | null> {
    return tenant === undefined
      ? this.one(this.pool, 'byId', { id })
      : this.one(this.pool, 'byIdForTenant', { id, tenant });
  }

  async getByUpstreamId(upstreamId: string, tenant?: string): Promise<TaskRecord | null> {
    return tenant === undefined
      ? this.one(this.pool, 'byUpstreamId', { upstreamId })
      : this.one(this.pool, 'byUpstreamIdForTenant', { upstreamId, tenant });
  }

  async list(query: ListQuery): Promise<TaskRecord[]> {
    return this.many(listStatementName(query), listParams(query));
  }

  async listSubmitting(): Promise<TaskRecord[]> {
    return this.many('listSubmitting', {});
  }

  async listActive(): Promise<TaskRecord[]> {
    return this.many('listActive', {});
  }

  async countByState(): Promise<Partial<Record<TaskState, number>>> {
    // COUNT is a BIGINT, which pg hands back as a string.
    const { rows } = await this.run<{ state: TaskState; count: string }>(this.pool, 'countByState', {});
    return Object.fromEntries(rows.map((row) => [row.state, Number(row.count)]));
  }

  async getOrCreateSecret(name: string, candidate: string): Promise<string> {
    await this.run(this.pool, 'insertSetting', { key: name, value: candidate });
    const { rows } = await this.run<{ value: string }>(this.pool, 'settingValue', { key: name });
    return rows[0].value;
  }

  async saveFaceSession(session: FaceSession, now: number): Promise<void> {
    await this.run(this.pool, 'deleteOldFaceSessions', { before: now - FACE_SESSION_KEEP_MS });
    await this.run(this.pool, 'insertFaceSession', faceSessionParams(session));
  }

  async getFaceSession(id: string, tenant: string): Promise<FaceSession | null> {
    const { rows } = await this.run<FaceSessionRow>(this.pool, 'faceSessionForTenant', { id, tenant });
    return rows.length > 0 ? rowToFaceSession(rows[0]) : null;
  }

  async faceUsage(query: UsageQuery): Promise<FaceUsage[]> {
    const { rows } = await this.run<FaceUsageRow>(this.pool, faceUsageStatement(query), usageParams(query));
    return faceUsageTotals(rows);
  }

  async getByIdempotencyKey(tenant: string, idempotencyKey: string, now: number): Promise<TaskRecord | null> {
    return this.one(this.pool, 'liveByIdempotencyKey', { tenant, idempotencyKey, now });
  }

  async usage(query: UsageQuery): Promise<UsageTotals[]> {
    const { rows } = await this.run<UsageRow>(this.pool, usageStatement(query), usageParams(query));
    return usageTotals(rows);
  }

  async budgetUse(tenant: string, monthStart: number, since: number): Promise<BudgetUse> {
    const { rows } = await this.run<BudgetRow>(this.pool, 'budgetUse', budgetParams(tenant, monthStart, since));
    return budgetUse(rows[0]);
  }

  onUnitsCharged(listener: (record: TaskRecord) => void): void {
    this.unitsCharged.add(listener);
  }

  async ping(): Promise<void> {
    await this.run(this.pool, 'ping', {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back is discarded instead of going back to the pool.
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private run<R extends QueryResultRow = TaskRow>(
    db: Queryable,
    name: StatementName,
    params: Params,
  ): Promise<QueryResult<R>> {
    const statement = STATEMENTS[name];
    return db.query<R>({ name: statement.name, text: statement.text, values: positionalValues(statement, params) });
  }

  private async one(db: Queryable, name: StatementName, params: Params): Promise<TaskRecord | null> {
    const { rows } = await this.run(db, name, params);
    return rows.length > 0 ? rowToRecord(rows[0]) : null;
  }

  private async existing(db: Queryable, name: StatementName, params: Params): Promise<TaskRecord> {
    const record = await this.one(db, name, params);
    if (!record) throw new Error(`PostgresTaskStore: ${name} found no row inside its own transaction`);
    return record;
  }

  private async many(name: StatementName, params: Params): Promise<TaskRecord[]> {
    const { rows } = await this.run(this.pool, name, params);
    return rows.map(rowToRecord);
  }
}

/** Runs a write that sets `upstream_id`, translating its unique index's refusal. */
async function upstreamIdUnique<T>(id: string, upstreamId: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof DatabaseError && error.code === '23505' && error.constraint === 'tasks_upstream_id') {
      throw new UpstreamIdConflictError(id, upstreamId);
    }
    throw error;
  }
}
