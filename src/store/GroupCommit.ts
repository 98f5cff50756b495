import type Database from 'better-sqlite3';

/** A write waiting for the next group commit. */
interface PendingWrite {
  apply: () => unknown;
  /** maps the value once committed, in the same turn as the answer (no extra tick: answers keep their order) */
  committed?: (value: never) => unknown;
  resolve: (value: never) => void;
  reject: (error: unknown) => void;
}

/** Transaction control, prepared once. */
interface ControlStatements {
  begin: Database.Statement<unknown[]>;
  commit: Database.Statement<unknown[]>;
  rollback: Database.Statement<unknown[]>;
  savepoint: Database.Statement<unknown[]>;
  release: Database.Statement<unknown[]>;
  rollbackToSavepoint: Database.Statement<unknown[]>;
}

/** What makes a committed batch durable before its callers are answered (src/store/walSync.ts). */
export interface Durability {
  afterCommit(done: (error?: Error) => void): void;
  /** set once durability can no longer be had: every later write is refused */
  readonly failed: Error | null;
}

/**
 * Group commit for one SQLite connection: every write requested in one turn of the event loop is applied, in
 * request order, inside ONE `BEGIN IMMEDIATE … COMMIT` (run from a `setImmediate` callback), each in its own
 * savepoint so a failing write rolls back only itself and rejects only its own caller. Every caller's promise
 * settles after the COMMIT (and its `durability`), so a resolved write is durable. One commit per turn instead of
 * one per call is what keeps the WAL small: pages shared by the turn's writes (the right edge of each index, the
 * table's last leaf) are written once. `IMMEDIATE` takes the write lock up front so a second process on the same file waits
 * (busy_timeout) instead of failing. Used by src/store/SqliteTaskStore.ts.
 */
export class GroupCommit {
  private readonly control: ControlStatements;
  private pending: PendingWrite[] = [];
  private flushTimer: NodeJS.Immediate | null = null;

  /**
   * `onCommitStarted` is told each time a batch is about to be written (the store checkpoints only after writes);
   * `durability`, when given, is waited for after each COMMIT (without it, the COMMIT itself is taken as durable).
   */
  constructor(
    private readonly db: Database.Database,
    private readonly onCommitStarted: () => void,
    private readonly durability?: Durability,
  ) {
    this.control = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      savepoint: db.prepare('SAVEPOINT write'),
      release: db.prepare('RELEASE write'),
      rollbackToSavepoint: db.prepare('ROLLBACK TO write'),
    };
  }

  /**
   * Queues a write for the next group commit; settles once that commit is done, with `committed(value)` when
   * given (what must happen only after the commit, e.g. telling listeners).
   */
  write<T, R = T>(apply: () => T, committed?: (value: T) => R): Promise<R> {
    if (!this.db.open) return Promise.reject(new TypeError('The database connection is not open'));
    if (this.durability?.failed) return Promise.reject(this.durability.failed);
    return new Promise<R>((resolve, reject) => {
      this.pending.push({
        apply,
        committed: committed as ((value: never) => unknown) | undefined,
        resolve: resolve as (value: never) => void,
        reject,
      });
      this.flushTimer ??= setImmediate(this.flush);
    });
  }

  private readonly flush = (): void => {
    this.flushTimer = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.onCommitStarted();
    this.commit(batch);
  };

  /** Commits what is queued now, synchronously (before closing, or before a migration). */
  flushNow(): void {
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flush();
  }

  /**
   * Applies the writes in one transaction and settles each caller after COMMIT. Never throws: every failure
   * ends up in the promise of the write(s) it concerns.
   */
  private commit(batch: PendingWrite[]): void {
    const { control, db } = this;
    const outcomes: Outcome[] = [];
    try {
      control.begin.run();
      // One write alone needs no savepoint: the transaction is its unit.
      if (batch.length === 1) outcomes.push(attempt(batch[0]));
      else {
        for (let i = 0; i < batch.length; i++) {
          control.savepoint.run();
          const outcome = attempt(batch[i]);
          if (!outcome.ok && !db.inTransaction) {
            // SQLite rolled the whole transaction back (I/O error, disk full…): what was applied so far is lost
            // with it; the writes not tried yet get a transaction of their own.
            for (let j = 0; j <= i; j++) batch[j].reject(outcome.error);
            if (i + 1 < batch.length) this.commit(batch.slice(i + 1));
            return;
          }
          if (!outcome.ok) control.rollbackToSavepoint.run();
          control.release.run();
          outcomes.push(outcome);
        }
      }
      if (batch.length === 1 && !outcomes[0].ok) {
        if (db.inTransaction) control.rollback.run();
      } else control.commit.run();
    } catch (error) {
      // BEGIN (busy), COMMIT (I/O) or the savepoint bookkeeping failed: nothing of the batch is committed.
      if (db.inTransaction) tryRollback(control);
      for (let i = 0; i < batch.length; i++) {
        const outcome = outcomes[i];
        batch[i].reject(outcome && !outcome.ok ? outcome.error : error);
      }
      return;
    }
    // A batch whose every write failed committed nothing: nothing to wait for.
    if (this.durability && outcomes.some((outcome) => outcome.ok)) {
      this.durability.afterCommit((error) => settle(batch, outcomes, error));
    } else settle(batch, outcomes);
  }
}

/** Answers each caller of a committed batch, in request order; all of them with `error` when it is not durable. */
function settle(batch: PendingWrite[], outcomes: Outcome[], error?: Error): void {
  for (let i = 0; i < batch.length; i++) {
    const outcome = outcomes[i];
    const { committed } = batch[i];
    if (error) batch[i].reject(error);
    else if (outcome.ok) batch[i].resolve((committed ? committed(outcome.value as never) : outcome.value) as never);
    else batch[i].reject(outcome.error);
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

function attempt(write: PendingWrite): Outcome {
  try {
    return { ok: true, value: write.apply() };
  } catch (error) {
    return { ok: false, error };
  }
}

function tryRollback(control: ControlStatements): void {
  try {
    control.rollback.run();
  } catch {
    // the connection already dropped the transaction
  }
}
