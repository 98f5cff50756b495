import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { TaskIntent, TaskRecord } from '../domain/task';
import { positionalValues, toPositional, type PositionalSql } from './namedParameters';
import type { IntentResult, SnapshotResult } from './TaskStore';
import { eventParams, targetParams } from './webhookEvents';
import { claimDueSql, WEBHOOK_SQL, type DeliveryRow } from './webhookOutboxSql';
import { finishParams, rowToClaim, rowToDelivery, rowToSigningKey } from './webhookRows';
import type {
  AttemptResult,
  ClaimedDelivery,
  SigningKeyGeneration,
  WebhookDeliveryRecord,
  WebhookOutbox,
} from './WebhookOutbox';

type Queryable = Pool | PoolClient;
type Transaction = <T>(work: (client: PoolClient) => Promise<T>) => Promise<T>;

const STATEMENT_SQL = {
  ...WEBHOOK_SQL,
  // SKIP LOCKED: a row another instance is claiming right now is left to it, not waited for.
  claimDue: claimDueSql('FOR UPDATE SKIP LOCKED'),
  listForTasks: `SELECT * FROM webhook_deliveries WHERE tenant = :tenant AND task_id = ANY(:taskIds)
    ORDER BY task_id, seq`,
};
type StatementName = keyof typeof STATEMENT_SQL;

const STATEMENTS = Object.fromEntries(
  Object.entries(STATEMENT_SQL).map(([name, sql]) => [
    name,
    { name: `lipsync_webhooks_${name}`, ...toPositional(sql) },
  ]),
) as Record<StatementName, PositionalSql & { name: string }>;

/**
 * The outbox on the shared PostgreSQL store. The `record…` methods run on PostgresTaskStore's transaction client,
 * next to the state change they report; claims are one statement whose row locks (SKIP LOCKED) and lease make
 * each due delivery one instance's alone.
 */
export class PostgresWebhookOutbox implements WebhookOutbox {
  private eventWritten: () => void = () => undefined;

  constructor(
    private readonly pool: Pool,
    private readonly transaction: Transaction,
  ) {}

  onEventWritten(listener: () => void): void {
    this.eventWritten = listener;
  }

  /**
   * Tells the listener once `committed` (PostgresTaskStore.insertIntent's transaction) has written an intent with a
   * callbackUrl: its QUEUED event is the one change not published on the hub.
   */
  async afterIntent(intent: TaskIntent, committed: Promise<IntentResult>): Promise<IntentResult> {
    const result = await committed;
    if (result.created && targetParams(intent)) this.eventWritten();
    return result;
  }

  async recordIntent(client: PoolClient, intent: TaskIntent, result: IntentResult, now: number): Promise<void> {
    const target = targetParams(intent);
    if (!result.created || !target) return;
    await this.run(client, 'insertTarget', target);
    await this.recorded(client, result.record, now);
  }

  async recorded<T extends TaskRecord | null>(client: PoolClient, record: T, now: number): Promise<T> {
    if (record) await this.run(client, 'insertEvent', eventParams(record, now));
    return record;
  }

  async recordedAll(client: PoolClient, records: TaskRecord[], now: number): Promise<TaskRecord[]> {
    for (const record of records) await this.recorded(client, record, now);
    return records;
  }

  async recordedSnapshot(client: PoolClient, result: SnapshotResult, now: number): Promise<SnapshotResult> {
    if (result.changed) await this.recorded(client, result.record, now);
    return result;
  }

  async claimDue(limit: number, leaseUntil: number, now: number): Promise<ClaimedDelivery[]> {
    const { rows } = await this.run<DeliveryRow>(this.pool, 'claimDue', { limit, leaseUntil, now });
    return rows.map(rowToClaim);
  }

  async recordAttempt(claim: ClaimedDelivery, result: AttemptResult, now: number): Promise<void> {
    await this.transaction(async (client) => {
      const finished = (await this.run(client, 'finishAttempt', finishParams(claim, result, now))).rowCount === 1;
      if (finished && result.kind === 'gone') {
        await this.run(client, 'stopTarget', { taskId: claim.taskId, now });
        await this.run(client, 'failPendingOfTask', { taskId: claim.taskId });
      }
    });
  }

  async listForTasks(taskIds: readonly string[], tenant: string): Promise<WebhookDeliveryRecord[]> {
    const { rows } = await this.run<DeliveryRow>(this.pool, 'listForTasks', { tenant, taskIds: [...taskIds] });
    return rows.map(rowToDelivery);
  }

  async get(id: string, tenant: string): Promise<WebhookDeliveryRecord | null> {
    const { rows } = await this.run<DeliveryRow>(this.pool, 'byId', { id, tenant });
    return rows.length > 0 ? rowToDelivery(rows[0]) : null;
  }

  async redeliver(id: string, tenant: string, now: number): Promise<WebhookDeliveryRecord | null> {
    const { rows } = await this.run<DeliveryRow>(this.pool, 'redeliver', { id, tenant, now });
    return rows.length > 0 ? rowToDelivery(rows[0]) : null;
  }

  async hasDue(now: number): Promise<boolean> {
    return (await this.run(this.pool, 'hasDue', { now })).rows.length > 0;
  }

  async pendingCount(): Promise<number> {
    const { rows } = await this.run<{ count: string }>(this.pool, 'pendingCount', {});
    return Number(rows[0].count);
  }

  async signingKey(tenant: string): Promise<SigningKeyGeneration> {
    const { rows } = await this.run<{ generation: number; rotated_at: string }>(this.pool, 'signingKey', { tenant });
    return rowToSigningKey(rows[0]);
  }

  async rotateSigningKey(tenant: string, now: number): Promise<SigningKeyGeneration> {
    const { rows } = await this.run<{ generation: number; rotated_at: string }>(this.pool, 'rotateSigningKey', {
      tenant,
      now,
    });
    return rowToSigningKey(rows[0]);
  }

  private run<R extends QueryResultRow = QueryResultRow>(
    db: Queryable,
    name: StatementName,
    params: Readonly<Record<string, unknown>>,
  ): Promise<QueryResult<R>> {
    const statement = STATEMENTS[name];
    return db.query<R>({ name: statement.name, text: statement.text, values: positionalValues(statement, params) });
  }
}
