import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { StoredError, TaskIntent, TaskRecord, TaskSnapshot, TaskState } from '../domain/task';
import { MIGRATION_SQL, pendingMigrations } from './migrations';
import { jsonParam, recordToParams, rowToRecord, type TaskRow } from './rowMapping';
import { TaskNotFoundError, UpstreamIdConflictError } from './storeErrors';
import { TASK_SQL, listParams, listStatementName, type TaskSqlName } from './taskSql';
import { acceptedRecord, intentRecord, mergeSnapshot } from './taskTransitions';
import type { IntentResult, ListQuery, SnapshotResult, TaskStore } from './TaskStore';

type Params = Readonly<Record<string, unknown>>;

/** SQLite's name for a database that lives only as long as its connection (for tests and throwaway runs). */
export const IN_MEMORY = ':memory:';

/**
 * The embedded store: one file, one connection, every call done synchronously inside its async method.
 * Being synchronous in one process is what makes its transactions trivially serial; `immediate` transactions
 * take the write lock up front so a second process on the same file waits (busy_timeout) instead of failing.
 */
export class SqliteTaskStore implements TaskStore {
  readonly kind = 'sqlite';
  readonly singleProcess = true;
  private readonly db: Database.Database;
  private statements: Record<TaskSqlName, Database.Statement<unknown[]>> | null = null;
  private readonly transactions;

  /** Opens the file (creating it and its directory) and tunes the connection; `migrate()` makes it usable. */
  constructor(readonly filePath: string) {
    if (filePath !== IN_MEMORY) makeDirectories(path.dirname(filePath));
    const db = openFile(filePath);
    try {
      // The first statement is also where SQLite finds out the file is not a database.
      db.pragma('journal_mode = WAL'); // readers never wait for the writer
      db.pragma('synchronous = NORMAL'); // with WAL: a crash loses nothing, a power cut at most the last commits, never the file
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON'); // off by default in SQLite; on, so any future reference is enforced as in PostgreSQL
    } catch (error) {
      db.close();
      throw error;
    }
    this.db = db;
    this.transactions = {
      insertIntent: db.transaction(this.insertIntentNow.bind(this)),
      markAccepted: db.transaction(this.markAcceptedNow.bind(this)),
      applySnapshot: db.transaction(this.applySnapshotNow.bind(this)),
    };
  }

  async migrate(): Promise<void> {
    const db = this.db;
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

  async insertIntent(intent: TaskIntent, now: number): Promise<IntentResult> {
    return this.transactions.insertIntent.immediate(intent, now);
  }

  async markAccepted(id: string, snapshot: TaskSnapshot, upstreamRequestId: string | null, now: number): Promise<TaskRecord> {
    return this.transactions.markAccepted.immediate(id, snapshot, upstreamRequestId, now);
  }

  async markSubmitFailed(id: string, error: StoredError, now: number): Promise<TaskRecord | null> {
    return this.one('markSubmitFailed', { id, submitError: jsonParam(error), now }) ?? this.one('byId', { id });
  }

  async claimSubmission(id: string, from: 'submit_failed' | 'submitting', leaseUntil: number, now: number): Promise<boolean> {
    const claim = from === 'submit_failed' ? 'claimFailed' : 'claimExpiredLease';
    return this.statement(claim).run({ id, leaseUntil, now }).changes === 1;
  }

  async releaseLease(id: string): Promise<void> {
    this.statement('releaseLease').run({ id });
  }

  async applySnapshot(snapshot: TaskSnapshot, upstreamRequestId: string | null, now: number): Promise<SnapshotResult | null> {
    return this.transactions.applySnapshot.immediate(snapshot, upstreamRequestId, now);
  }

  async getById(id: string): Promise<TaskRecord | null> {
    return this.one('byId', { id });
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
    const rows = this.statement('countByState').all({}) as { state: TaskState; count: number }[];
    return Object.fromEntries(rows.map((row) => [row.state, row.count]));
  }

  async ping(): Promise<void> {
    this.statement('ping').get({});
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    // Lets SQLite refresh the planner statistics it found worth keeping, as its docs advise at close.
    this.db.pragma('optimize');
    this.db.close();
  }

  private insertIntentNow(intent: TaskIntent, now: number): IntentResult {
    const key = { tenant: intent.tenant, idempotencyKey: intent.idempotencyKey, now };
    if (intent.idempotencyKey !== null) this.statement('releaseExpiredKey').run(key);
    const record = intentRecord(intent);
    if (this.statement('insertIntent').get(recordToParams(record))) return { created: true, record };
    return { created: false, record: this.existing('byIdempotencyKey', key) };
  }

  private markAcceptedNow(id: string, snapshot: TaskSnapshot, upstreamRequestId: string | null, now: number): TaskRecord {
    const stored = this.one('byId', { id });
    if (!stored) throw new TaskNotFoundError(id);
    const record = acceptedRecord(stored, snapshot, upstreamRequestId, now);
    try {
      this.statement('saveAnswer').run(recordToParams(record));
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && /upstream_id/.test(String(error))) {
        throw new UpstreamIdConflictError(id, snapshot.upstreamId);
      }
      throw error;
    }
    return record;
  }

  private applySnapshotNow(snapshot: TaskSnapshot, upstreamRequestId: string | null, now: number): SnapshotResult | null {
    const stored = this.one('byUpstreamId', { upstreamId: snapshot.upstreamId });
    if (!stored) return null;
    const result = mergeSnapshot(stored, snapshot, upstreamRequestId, now);
    this.statement('saveAnswer').run(recordToParams(result.record));
    return result;
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
    if ((error as { code?: string }).code === 'SQLITE_CANTOPEN') fs.closeSync(fs.openSync(filePath, fs.constants.O_RDWR | fs.constants.O_CREAT));
    throw error;
  }
}
