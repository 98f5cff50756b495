import type Database from 'better-sqlite3';
import type { TaskIntent, TaskRecord } from '../domain/task';
import type { IntentResult, SnapshotResult } from './TaskStore';
import { eventParams, targetParams } from './webhookEvents';
import { claimDueSql, WEBHOOK_SQL, type DeliveryRow, type WebhookSqlName } from './webhookOutboxSql';
import { finishParams, rowToClaim, rowToDelivery, rowToSigningKey } from './webhookRows';
import type {
  AttemptResult,
  ClaimedDelivery,
  SigningKeyGeneration,
  WebhookDeliveryRecord,
  WebhookOutbox,
} from './WebhookOutbox';

type GroupWrite = <T>(apply: () => T) => Promise<T>;

/** Whether the task has a target still taking events (the same condition as WEBHOOK_SQL.insertEvent's SELECT). */
const LIVE_TARGET_SQL = 'SELECT 1 FROM webhook_targets WHERE task_id = :taskId AND stopped_at IS NULL';

/**
 * The outbox on the embedded store's connection. The `record…` methods run synchronously inside a write of
 * SqliteTaskStore (one group-commit transaction), next to the state change they report; the rest are writes and
 * reads of their own. One writer per file, so a claim needs no row lock.
 */
export class SqliteWebhookOutbox implements WebhookOutbox {
  private readonly statements = new Map<string, Database.Statement<unknown[]>>();
  private eventWritten: () => void = () => undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly write: GroupWrite,
  ) {}

  /** A created intent with a callbackUrl gets its target and its QUEUED event. */
  recordIntent(intent: TaskIntent, result: IntentResult, now: number): IntentResult {
    const target = targetParams(intent);
    if (result.created && target) {
      this.statement('insertTarget').run(target);
      this.recorded(result.record, now);
    }
    return result;
  }

  onEventWritten(listener: () => void): void {
    this.eventWritten = listener;
  }

  /** The event for the status `record` is in (nothing when the task has no live target or already has it). */
  recorded<T extends TaskRecord | null>(record: T, now: number): T {
    // The group commit runs its whole batch and COMMIT in one callback, so a microtask runs after the COMMIT.
    // Most tasks have no target: a probe of its primary key instead of building the event's JSON for an
    // INSERT … SELECT that selects nothing (1.5 % + 1.2 % of B1's busy time, docs/performance.md section 9).
    if (
      record &&
      this.prepared('liveTarget', LIVE_TARGET_SQL).get({ taskId: record.id }) !== undefined &&
      this.statement('insertEvent').run(eventParams(record, now)).changes === 1
    )
      queueMicrotask(this.eventWritten);
    return record;
  }

  recordedAll(records: TaskRecord[], now: number): TaskRecord[] {
    for (const record of records) this.recorded(record, now);
    return records;
  }

  recordedSnapshot(result: SnapshotResult | null, now: number): SnapshotResult | null {
    if (result?.changed) this.recorded(result.record, now);
    return result;
  }

  claimDue(limit: number, leaseUntil: number, now: number): Promise<ClaimedDelivery[]> {
    return this.write(() =>
      (this.prepared('claimDue', claimDueSql('')).all({ limit, leaseUntil, now }) as DeliveryRow[]).map(rowToClaim),
    );
  }

  recordAttempt(claim: ClaimedDelivery, result: AttemptResult, now: number): Promise<void> {
    return this.write(() => {
      const finished = this.statement('finishAttempt').run(finishParams(claim, result, now)).changes === 1;
      if (finished && result.kind === 'gone') {
        this.statement('stopTarget').run({ taskId: claim.taskId, now });
        this.statement('failPendingOfTask').run({ taskId: claim.taskId });
      }
    });
  }

  async listForTasks(taskIds: readonly string[], tenant: string): Promise<WebhookDeliveryRecord[]> {
    const sql = `SELECT * FROM webhook_deliveries WHERE tenant = :tenant
      AND task_id IN (SELECT value FROM json_each(:taskIds)) ORDER BY task_id, seq`;
    const rows = this.prepared('listForTasks', sql).all({ tenant, taskIds: JSON.stringify(taskIds) }) as DeliveryRow[];
    return rows.map(rowToDelivery);
  }

  async get(id: string, tenant: string): Promise<WebhookDeliveryRecord | null> {
    const row = this.statement('byId').get({ id, tenant }) as DeliveryRow | undefined;
    return row ? rowToDelivery(row) : null;
  }

  redeliver(id: string, tenant: string, now: number): Promise<WebhookDeliveryRecord | null> {
    return this.write(() => {
      const row = this.statement('redeliver').get({ id, tenant, now }) as DeliveryRow | undefined;
      return row ? rowToDelivery(row) : null;
    });
  }

  async hasDue(now: number): Promise<boolean> {
    return this.statement('hasDue').get({ now }) !== undefined;
  }

  async pendingCount(): Promise<number> {
    return (this.statement('pendingCount').get({}) as { count: number }).count;
  }

  async signingKey(tenant: string): Promise<SigningKeyGeneration> {
    return rowToSigningKey(this.statement('signingKey').get({ tenant }) as never);
  }

  rotateSigningKey(tenant: string, now: number): Promise<SigningKeyGeneration> {
    return this.write(() => rowToSigningKey(this.statement('rotateSigningKey').get({ tenant, now }) as never));
  }

  private statement(name: WebhookSqlName): Database.Statement<unknown[]> {
    return this.prepared(name, WEBHOOK_SQL[name]);
  }

  /** Prepared on first use: the tables exist only once the store has migrated. */
  private prepared(name: string, sql: string): Database.Statement<unknown[]> {
    let statement = this.statements.get(name);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(name, statement);
    }
    return statement;
  }
}
