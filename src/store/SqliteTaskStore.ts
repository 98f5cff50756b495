import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
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
import {
  ANSWER_COLUMNS,
  answeredRecord,
  answerToParams,
  jsonParam,
  recordToParams,
  rowToRecord,
  type AnswerColumn,
  type IntentRow,
  type TaskRow,
} from './rowMapping';
import { TaskNotFoundError, UpstreamIdConflictError } from './storeErrors';
import { TASK_SQL, listParams, listStatementName, updateSql, type TaskSqlName } from './taskSql';
import { acceptance, acceptedRecord, intentRecord, mergeSnapshot } from './taskTransitions';
import type { ClaimedTask, IntentResult, ListQuery, QueueStats, SnapshotResult, TaskStore } from './TaskStore';
import { GroupCommit } from './GroupCommit';
import { claimedIntentRecord, outboxView, slotFree, type ClaimedIntentResult } from './claimedIntent';
import { SqliteBackgroundWorker } from './sqliteBackgroundWorker';
import { type SyncFile, WalSync } from './walSync';
import { chargedBy, UnitsChargedListeners, type Charged } from './unitsCharged';
import {
  budgetParams,
  budgetUse,
  usageParams,
  usageStatement,
  usageTotals,
  type BudgetRow,
  type UsageRow,
} from './usageSql';
import { SqliteWebhookOutbox } from './SqliteWebhookOutbox';
import type { ArchiveStore } from './archive/ArchiveStore';
import { SqliteArchiveStore } from './archive/SqliteArchiveStore';

type Params = Readonly<Record<string, unknown>>;

/** SQLite's name for a database that lives only as long as its connection (for tests and throwaway runs). */
export const IN_MEMORY = ':memory:';

export interface SqliteTaskStoreOptions {
  /** how often the WAL is copied back into the database file, when there were writes (default 1000 ms) */
  checkpointIntervalMs?: number;
  /** how the WAL is synced after each group commit (default `fs.fdatasync`; tests hold it to watch the order) */
  syncFile?: SyncFile;
}

/**
 * Pages of WAL after which a commit checkpoints by itself, on this thread (SQLite's default is 1000, which
 * meant a checkpoint with two fsyncs every ~30 creates). Above what a second of writes adds at the highest rate
 * measured (~14,000 pages/s at 5,000 paced creates/s), so the timer's checkpoint, off-thread, is the one that
 * runs; this stays as the bound on the WAL's size (80 MB of 4 KB pages) should that one fall behind.
 */
const WAL_AUTOCHECKPOINT_PAGES = 20_000;

/**
 * The embedded store: one file, one connection for every read and write, every statement run synchronously.
 *
 * Reads run at once. Writes are group-committed (src/store/GroupCommit.ts): one transaction per turn of the event
 * loop, each caller answered after its COMMIT. Being synchronous in one process keeps the transactions trivially
 * serial.
 *
 * Each COMMIT appends the batch to the WAL, and the WAL is synced to disk (src/store/walSync.ts, off the event
 * loop) before any of its callers is answered, so an acknowledged write survives a power cut as well as a crash;
 * commits that end while a sync is under way share the next one, however many writes they hold. Copying the WAL
 * back into the file, with its own fsyncs, is a checkpoint once a second when there were writes, from a worker
 * thread (SqliteBackgroundWorker), so it neither runs inside a commit nor blocks the event loop; close()
 * checkpoints everything and empties the WAL.
 */
export class SqliteTaskStore implements TaskStore {
  readonly kind = 'sqlite';
  readonly singleProcess = true;
  private readonly db: Database.Database;
  private statements: Record<TaskSqlName, Database.Statement<unknown[]>> | null = null;
  private readonly writes: GroupCommit;
  /** the WAL's sync after each group commit (null without a WAL file: then each COMMIT syncs, synchronous = FULL) */
  private readonly walSync: WalSync | null;
  /** `UPDATE`s of exactly the answer columns that changed, by their list: an unchanged column rewrites no index. */
  private readonly updates = new Map<string, Database.Statement<unknown[]>>();
  private readonly checkpointTimer: NodeJS.Timeout;
  /** checkpoints and the whole-table count, off the event loop (sqliteBackgroundWorker.ts says why) */
  private readonly background: SqliteBackgroundWorker<{ state: TaskState; count: number }> | null;
  private wroteSinceCheckpoint = false;
  private readonly unitsCharged = new UnitsChargedListeners();
  private closing: Promise<void> | null = null;
  readonly webhooks: SqliteWebhookOutbox;
  readonly archives: ArchiveStore;

  /** Opens the file (creating it and its directory) and tunes the connection; `migrate()` makes it usable. */
  constructor(
    readonly filePath: string,
    options: SqliteTaskStoreOptions = {},
  ) {
    if (filePath !== IN_MEMORY) makeDirectories(path.dirname(filePath));
    const db = openFile(filePath);
    let wal: boolean;
    try {
      // The first statement is also where SQLite finds out the file is not a database.
      wal = db.pragma('journal_mode = WAL', { simple: true }) === 'wal'; // readers never wait for the writer
      // NORMAL: a COMMIT writes the WAL without an fsync, and WalSync syncs it off the event loop before the
      // writers are answered, so an acknowledged create still survives a power cut. FULL would fsync inside every
      // COMMIT, on this thread: about twice the p99 of a create at a steady half load (docs/performance.md, section
      // 10). Without a WAL file (in memory, or a file system where SQLite could not switch to WAL), FULL it is.
      db.pragma(wal ? 'synchronous = NORMAL' : 'synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      // Each write of a group commit runs in a savepoint, whose undo copies would otherwise spill to temp files.
      db.pragma('temp_store = MEMORY');
      db.pragma('foreign_keys = ON'); // off by default in SQLite; on, so any future reference is enforced as in PostgreSQL
      db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    } catch (error) {
      db.close();
      throw error;
    }
    this.db = db;
    this.walSync = wal ? new WalSync(filePath, options.syncFile) : null;
    this.writes = new GroupCommit(
      db,
      () => {
        this.wroteSinceCheckpoint = true;
      },
      this.walSync ?? undefined,
    );
    this.webhooks = new SqliteWebhookOutbox(db, (apply) => this.writes.write(apply));
    this.archives = new SqliteArchiveStore(db, this.writes);
    this.background =
      filePath === IN_MEMORY
        ? null
        : new SqliteBackgroundWorker(filePath, TASK_SQL.countByState, {
            checkpoint: () => this.checkpointHere(),
            read: () => this.countHere(),
          });
    // Unref'd: an idle store never keeps the process alive, and close() does the last checkpoint.
    this.checkpointTimer = setInterval(() => this.checkpoint(), options.checkpointIntervalMs ?? 1_000).unref();
  }

  async migrate(): Promise<void> {
    const db = this.db;
    this.writes.flushNow();
    db.transaction(() => {
      db.exec(MIGRATION_SQL.createTable);
      const applied = db.prepare(MIGRATION_SQL.appliedVersions).pluck().all() as number[];
      const record = db.prepare(MIGRATION_SQL.record);
      for (const migration of pendingMigrations(applied)) {
        for (const statement of migration.sqlite) db.exec(statement);
        record.run({ version: migration.version, appliedAt: Date.now() });
      }
    }).immediate();
    // Statements can only be prepared once their tables exist.
    this.statements ??= prepareAll(db);
  }

  insertIntent(intent: TaskIntent, now: number): Promise<IntentResult> {
    return this.writes.write(() => this.webhooks.recordIntent(intent, this.insertIntentNow(intent, now), now));
  }

  insertIntentClaimed(intent: TaskIntent, cap: number | null, now: number): Promise<ClaimedIntentResult> {
    // In the group commit's one transaction of the one writer, as claimQueued: the look and the insert cannot interleave.
    return this.writes.write(() => {
      const waiting = this.statement('queueWaiting').get({}) !== undefined;
      const live = waiting || cap === null ? 0 : (this.statement('countLive').get({}) as { count: number }).count;
      const claimed = slotFree(waiting, live, cap);
      const result = this.insertIntentNow(intent, now, claimed ? now : null);
      this.webhooks.recordIntent(intent, outboxView(intent, result), now);
      return { ...result, claimed: claimed && result.created };
    });
  }

  markAccepted(id: string, snapshot: TaskSnapshot, upstreamRequestId: string | null, now: number): Promise<TaskRecord> {
    return this.writes.write(
      () =>
        this.withEvent(this.markAcceptedNow(id, snapshot, upstreamRequestId, now), (r) =>
          this.webhooks.recorded(r, now),
        ),
      (written) => this.unitsCharged.committed(written),
    );
  }

  markSubmitFailed(id: string, error: StoredError, now: number): Promise<TaskRecord | null> {
    return this.writes.write(
      () => this.one('markSubmitFailed', { id, submitError: jsonParam(error), now }) ?? this.one('byId', { id }),
    );
  }

  claimSubmission(id: string, from: 'submit_failed' | 'submitting', leaseUntil: number, now: number): Promise<boolean> {
    const claim = from === 'submit_failed' ? 'claimFailed' : 'claimExpiredLease';
    return this.writes.write(() => this.statement(claim).run({ id, leaseUntil, now }).changes === 1);
  }

  releaseLease(id: string): Promise<void> {
    return this.writes.write(() => {
      this.statement('releaseLease').run({ id });
    });
  }

  applySnapshot(snapshot: TaskSnapshot, upstreamRequestId: string | null, now: number): Promise<SnapshotResult | null> {
    return this.writes.write(
      () =>
        this.withEvent(this.applySnapshotNow(snapshot, upstreamRequestId, now), (r) =>
          this.webhooks.recordedSnapshot(r, now),
        ),
      (written) => this.unitsCharged.committed(written),
    );
  }

  claimQueued(cap: number | null, limit: number, leaseUntil: number, now: number): Promise<ClaimedTask[]> {
    // One writer per file, and this runs inside its transaction: the count and the claims cannot interleave.
    return this.writes.write(() => {
      const live = cap === null ? 0 : (this.statement('countLive').get({}) as { count: number }).count;
      const room = cap === null ? limit : Math.min(limit, cap - live);
      if (room <= 0) return [];
      const order = (this.statement('queueOrder').all({}) as { id: string }[]).slice(0, room);
      const claimed: ClaimedTask[] = [];
      order.forEach(({ id }, i) => {
        // dispatchedAt + i: the tenants served in one claim keep their order for the next round-robin turn
        const row = this.statement('claimQueued').get({ id, leaseUntil, dispatchedAt: now + i, now }) as
          (TaskRow & { request: string }) | undefined;
        if (row) claimed.push({ record: rowToRecord(row), request: row.request });
      });
      return claimed;
    });
  }

  requeue(id: string, now: number): Promise<TaskRecord | null> {
    return this.writes.write(() => this.one('requeue', { id, now }));
  }

  cancelQueued(id: string, tenant: string, now: number): Promise<TaskRecord | null> {
    return this.writes.write(() => this.webhooks.recorded(this.one('cancelQueued', { id, tenant, now }), now));
  }

  failSubmission(id: string, error: StoredError, now: number): Promise<TaskRecord | null> {
    return this.writes.write(() =>
      this.webhooks.recorded(
        this.one('failSubmission', { id, message: error.message, submitError: jsonParam(error), now }),
        now,
      ),
    );
  }

  expireQueued(before: number, message: string, now: number): Promise<TaskRecord[]> {
    return this.writes.write(() => this.webhooks.recordedAll(this.many('expireQueued', { before, message, now }), now));
  }

  async queueOrder(): Promise<string[]> {
    return (this.statement('queueOrder').all({}) as { id: string }[]).map((row) => row.id);
  }

  async queueStats(): Promise<QueueStats> {
    const stats = this.statement('queueStats').get({}) as { depth: number; oldest: number | null };
    const live = (this.statement('countLive').get({}) as { count: number }).count;
    return { depth: stats.depth, oldestQueuedAt: stats.oldest, live };
  }

  async getById(id: string, tenant?: string): Promise<TaskRecord | null> {
    return tenant === undefined ? this.one('byId', { id }) : this.one('byIdForTenant', { id, tenant });
  }

  async getByUpstreamId(upstreamId: string, tenant?: string): Promise<TaskRecord | null> {
    return tenant === undefined
      ? this.one('byUpstreamId', { upstreamId })
      : this.one('byUpstreamIdForTenant', { upstreamId, tenant });
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
    const rows = this.background ? await this.background.read() : this.countHere();
    return Object.fromEntries(rows.map((row) => [row.state, row.count]));
  }

  /** The whole-table count on this connection (in memory, or when the background worker cannot run). */
  private countHere(): { state: TaskState; count: number }[] {
    return this.statement('countByState').all({}) as { state: TaskState; count: number }[];
  }

  getOrCreateSecret(name: string, candidate: string): Promise<string> {
    return this.writes.write(() => {
      this.statement('insertSetting').run({ key: name, value: candidate });
      return (this.statement('settingValue').get({ key: name }) as { value: string }).value;
    });
  }

  saveFaceSession(session: FaceSession, now: number): Promise<void> {
    return this.writes.write(() => {
      this.db.prepare(FACE_SESSION_SQL.deleteOldFaceSessions).run({ before: now - FACE_SESSION_KEEP_MS });
      this.db.prepare(FACE_SESSION_SQL.insertFaceSession).run(faceSessionParams(session));
    });
  }

  async getFaceSession(id: string, tenant: string): Promise<FaceSession | null> {
    const row = this.db.prepare(FACE_SESSION_SQL.faceSessionForTenant).get({ id, tenant }) as
      FaceSessionRow | undefined;
    return row ? rowToFaceSession(row) : null;
  }

  async faceUsage(query: UsageQuery): Promise<FaceUsage[]> {
    const statement = this.db.prepare(FACE_SESSION_SQL[faceUsageStatement(query)]);
    return faceUsageTotals(statement.all(usageParams(query)) as FaceUsageRow[]);
  }

  async getByIdempotencyKey(tenant: string, idempotencyKey: string, now: number): Promise<TaskRecord | null> {
    return this.one('liveByIdempotencyKey', { tenant, idempotencyKey, now });
  }

  async usage(query: UsageQuery): Promise<UsageTotals[]> {
    return usageTotals(this.statement(usageStatement(query)).all(usageParams(query)) as UsageRow[]);
  }

  async budgetUse(tenant: string, monthStart: number, since: number): Promise<BudgetUse> {
    return budgetUse(this.statement('budgetUse').get(budgetParams(tenant, monthStart, since)) as BudgetRow | undefined);
  }

  onUnitsCharged(listener: (record: TaskRecord) => void): void {
    this.unitsCharged.add(listener);
  }

  async ping(): Promise<void> {
    this.statement('ping').get({});
  }

  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    if (!this.db.open) return;
    clearInterval(this.checkpointTimer);
    this.writes.flushNow(); // writes already requested are committed (and their callers answered) before the file closes
    await this.background?.stop();
    this.writes.flushNow(); // and those requested while the background worker stopped
    await this.walSync?.drained(); // their callers are answered once the WAL holding them is on disk
    // Lets SQLite refresh the planner statistics it found worth keeping, as its docs advise at close.
    this.db.pragma('optimize');
    // Everything back into the database file and the WAL emptied: the file alone is the database again.
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // another process still reading after busy_timeout keeps the WAL: it is checkpointed later, nothing is lost
    }
    this.db.close();
    this.walSync?.close();
  }

  /**
   * Copies committed pages from the WAL back into the database file, once per interval when there were writes,
   * off this thread (see SqliteBackgroundWorker), so the database file's fsyncs happen here instead of inside a request's
   * commit every ~1000 pages as with SQLite's default autocheckpoint (a commit's WAL is synced by WalSync).
   */
  private checkpoint(): void {
    if (!this.wroteSinceCheckpoint || !this.db.open) return;
    this.wroteSinceCheckpoint = false;
    if (this.background) this.background.checkpoint();
    else this.checkpointHere();
  }

  /** PASSIVE: never waits for readers or writers of other processes; what it cannot copy now, a later one does. */
  private checkpointHere(): void {
    try {
      if (this.db.open) this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // e.g. SQLITE_BUSY from another process's checkpoint: the next round tries again
      this.wroteSinceCheckpoint = true;
    }
  }

  /** With `claimedAt`, the row is written as claimed then (src/store/claimedIntent.ts). */
  private insertIntentNow(intent: TaskIntent, now: number, claimedAt: number | null = null): IntentResult {
    const key = { tenant: intent.tenant, idempotencyKey: intent.idempotencyKey, now };
    if (intent.idempotencyKey !== null) this.statement('releaseExpiredKey').run(key);
    const record = claimedAt === null ? intentRecord(intent) : claimedIntentRecord(intent);
    const params = { ...recordToParams(record), request: intent.request ?? null };
    const inserted =
      claimedAt === null
        ? this.statement('insertIntent').get(params)
        : this.statement('insertClaimedIntent').get({ ...params, dispatchedAt: claimedAt });
    if (inserted) return { created: true, record };
    return { created: false, record: this.existing('byIdempotencyKey', key) };
  }

  private markAcceptedNow(
    id: string,
    snapshot: TaskSnapshot,
    upstreamRequestId: string | null,
    now: number,
  ): Charged<TaskRecord> {
    // The usual case in one statement: a row no answer has reached yet takes the acceptance as it is.
    const fields = acceptance(snapshot, upstreamRequestId, now);
    const row = this.upstreamIdUnique(id, snapshot.upstreamId, () =>
      this.statement('acceptIntent').get({ id, ...answerToParams(fields) }),
    ) as (IntentRow & Pick<TaskRow, 'created_at'>) | undefined;
    if (row) {
      // A row without an upstream id has never had units.
      const accepted = answeredRecord(row, fields);
      return { value: accepted, charged: chargedBy(null, accepted) };
    }
    const stored = this.one('byId', { id });
    if (!stored) throw new TaskNotFoundError(id);
    const record = acceptedRecord(stored, snapshot, upstreamRequestId, now);
    this.upstreamIdUnique(id, snapshot.upstreamId, () => this.saveChanges(stored, record));
    return { value: record, charged: chargedBy(stored, record) };
  }

  private applySnapshotNow(
    snapshot: TaskSnapshot,
    upstreamRequestId: string | null,
    now: number,
  ): Charged<SnapshotResult | null> {
    const stored = this.one('byUpstreamId', { upstreamId: snapshot.upstreamId });
    if (!stored) return { value: null, charged: null };
    const result = mergeSnapshot(stored, snapshot, upstreamRequestId, now);
    this.saveChanges(stored, result.record);
    return { value: result, charged: chargedBy(stored, result.record) };
  }

  /** Records a write's webhook event (src/store/SqliteWebhookOutbox.ts) in its own transaction, keeping its units. */
  private withEvent<T>(written: Charged<T>, record: (value: T) => T): Charged<T> {
    return { value: record(written.value), charged: written.charged };
  }

  /** Writes the answer columns in which `record` differs from `stored` (a poll usually changes `checked_at` only). */
  private saveChanges(stored: TaskRecord, record: TaskRecord): void {
    const before = answerToParams(stored);
    const after = answerToParams(record);
    const changed = ANSWER_COLUMNS.filter((column) => before[column] !== after[column]);
    if (changed.length === 0) return;
    const params: Record<string, unknown> = { id: record.id };
    for (const column of changed) params[column] = after[column];
    this.updateOf(changed).run(params);
  }

  private updateOf(columns: AnswerColumn[]): Database.Statement<unknown[]> {
    const key = columns.join(',');
    let statement = this.updates.get(key);
    if (!statement) {
      statement = this.db.prepare(updateSql(columns));
      this.updates.set(key, statement);
    }
    return statement;
  }

  /** Runs a write that sets `upstream_id`, translating its unique index's refusal. */
  private upstreamIdUnique<T>(id: string, upstreamId: string, write: () => T): T {
    try {
      return write();
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && /upstream_id/.test(String(error))) {
        throw new UpstreamIdConflictError(id, upstreamId);
      }
      throw error;
    }
  }

  private statement(name: TaskSqlName): Database.Statement<unknown[]> {
    if (!this.statements) throw new Error('SqliteTaskStore: call migrate() before using the store');
    return this.statements[name];
  }

  private one(name: TaskSqlName, params: Params): TaskRecord | null {
    const row = this.statement(name).get(params) as TaskRow | undefined;
    return row ? rowToRecord(row) : null;
  }

  private existing(name: TaskSqlName, params: Params): TaskRecord {
    const record = this.one(name, params);
    if (!record) throw new Error(`SqliteTaskStore: ${name} found no row inside its own transaction`);
    return record;
  }

  private many(name: TaskSqlName, params: Params): TaskRecord[] {
    return (this.statement(name).all(params) as TaskRow[]).map(rowToRecord);
  }
}

function prepareAll(db: Database.Database): Record<TaskSqlName, Database.Statement<unknown[]>> {
  const entries = Object.entries(TASK_SQL).map(([name, sql]) => [name, db.prepare(sql)]);
  return Object.fromEntries(entries) as Record<TaskSqlName, Database.Statement<unknown[]>>;
}

/**
 * `mkdir -p`, one level at a time: Node's own `{ recursive: true }` spins forever where mkdir answers ENOENT
 * under an existing parent (e.g. below /proc), which would hang startup instead of reporting the path.
 */
function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let current = path.resolve(dir); !fs.existsSync(current); current = path.dirname(current)) {
    missing.unshift(current);
    if (path.dirname(current) === current) break;
  }
  for (const directory of missing) {
    try {
      fs.mkdirSync(directory);
    } catch (error) {
      // another process creating the same directory at the same time is fine
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/**
 * SQLite only says "unable to open database file"; repeating the open with the file system's own call
 * recovers the reason (no such directory, permission denied, is a directory) for the operator.
 */
function openFile(filePath: string): Database.Database {
  try {
    return new Database(filePath);
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_CANTOPEN')
      fs.closeSync(fs.openSync(filePath, fs.constants.O_RDWR | fs.constants.O_CREAT));
    throw error;
  }
}
