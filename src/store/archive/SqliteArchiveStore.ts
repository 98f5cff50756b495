import type Database from 'better-sqlite3';
import type { GroupCommit } from '../GroupCommit';
import type { ArchiveCandidate, ArchivedCopy, ArchiveRow, ArchiveStorageKind, ArchiveStore } from './ArchiveStore';
import {
  archiveSqlFor,
  enqueueParams,
  toArchiveRow,
  toCandidate,
  type ArchiveDbRow,
  type ArchiveSqlName,
  type CandidateDbRow,
} from './archiveSql';

const SQL = archiveSqlFor('sqlite');

/** The archive on the embedded store's one connection: reads at once, writes through its group commit. */
export class SqliteArchiveStore implements ArchiveStore {
  private statements: Map<ArchiveSqlName, Database.Statement<unknown[]>> = new Map();

  constructor(
    private readonly db: Database.Database,
    private readonly writes: GroupCommit,
  ) {}

  async candidates(limit: number, since: number): Promise<ArchiveCandidate[]> {
    return (this.statement('candidates').all({ limit, since }) as CandidateDbRow[]).map(toCandidate);
  }

  enqueue(candidate: ArchiveCandidate, storage: ArchiveStorageKind, expiresAt: number, now: number): Promise<void> {
    return this.writes.write(() => {
      for (const video of candidate.videos) {
        this.statement('insertRow').run(enqueueParams(candidate, video, storage, expiresAt, now));
      }
      this.statement('markEnqueued').run({ taskId: candidate.taskId, now });
    });
  }

  claimDue(limit: number, leaseUntil: number, now: number): Promise<ArchiveRow[]> {
    return this.writes.write(() =>
      (this.statement('claimDue').all({ limit, leaseUntil, now }) as ArchiveDbRow[]).map(toArchiveRow),
    );
  }

  renewLease(taskId: string, videoId: string, leaseUntil: number): Promise<boolean> {
    return this.writes.write(() => this.statement('renewLease').run({ taskId, videoId, leaseUntil }).changes === 1);
  }

  releaseAllLeases(): Promise<void> {
    return this.writes.write(() => void this.statement('releaseAllLeases').run({}));
  }

  markArchived(taskId: string, videoId: string, copy: ArchivedCopy, now: number): Promise<void> {
    return this.writes.write(() => void this.statement('markArchived').run({ taskId, videoId, ...copy, now }));
  }

  scheduleRetry(taskId: string, videoId: string, error: string, nextAttemptAt: number): Promise<void> {
    return this.writes.write(() => void this.statement('scheduleRetry').run({ taskId, videoId, error, nextAttemptAt }));
  }

  markFailed(taskId: string, videoId: string, error: string): Promise<void> {
    return this.writes.write(() => void this.statement('markFailed').run({ taskId, videoId, error }));
  }

  async archivedBefore(before: number, limit: number): Promise<ArchiveRow[]> {
    return this.rows('archivedBefore', { before, limit });
  }

  markDeleted(taskId: string, videoId: string, now: number): Promise<void> {
    return this.writes.write(() => void this.statement('markDeleted').run({ taskId, videoId, now }));
  }

  async byTasks(tenant: string, taskIds: readonly string[]): Promise<ArchiveRow[]> {
    return this.rows('byTasks', { tenant, ids: JSON.stringify(taskIds) });
  }

  async byVideos(tenant: string, videoIds: readonly string[]): Promise<ArchiveRow[]> {
    return this.rows('byVideos', { tenant, ids: JSON.stringify(videoIds) });
  }

  async get(taskId: string, videoId: string): Promise<ArchiveRow | null> {
    const row = this.statement('get').get({ taskId, videoId }) as ArchiveDbRow | undefined;
    return row ? toArchiveRow(row) : null;
  }

  async archivedBytes(tenant: string, from: number, to: number): Promise<number> {
    return (this.statement('archivedBytes').get({ tenant, from, to }) as { total: number }).total;
  }

  private rows(name: ArchiveSqlName, params: Record<string, unknown>): ArchiveRow[] {
    return (this.statement(name).all(params) as ArchiveDbRow[]).map(toArchiveRow);
  }

  /** Prepared on first use: the tables exist only once the store has migrated. */
  private statement(name: ArchiveSqlName): Database.Statement<unknown[]> {
    let statement = this.statements.get(name);
    if (!statement) {
      statement = this.db.prepare(SQL[name]);
      this.statements.set(name, statement);
    }
    return statement;
  }
}
