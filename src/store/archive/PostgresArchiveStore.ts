import type { Pool, QueryResultRow } from 'pg';
import { positionalValues, toPositional, type PositionalSql } from '../namedParameters';
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

// Named, so each pooled connection plans a statement once.
const STATEMENTS = Object.fromEntries(
  Object.entries(archiveSqlFor('postgres')).map(([name, sql]) => [
    name,
    { name: `lipsync_archives_${name}`, ...toPositional(sql) },
  ]),
) as Record<ArchiveSqlName, PositionalSql & { name: string }>;

/** The archive in the shared PostgreSQL database: claims are single statements with SKIP LOCKED. */
export class PostgresArchiveStore implements ArchiveStore {
  constructor(private readonly pool: Pool) {}

  async candidates(limit: number, since: number): Promise<ArchiveCandidate[]> {
    return (await this.run<CandidateDbRow>('candidates', { limit, since })).map(toCandidate);
  }

  async enqueue(
    candidate: ArchiveCandidate,
    storage: ArchiveStorageKind,
    expiresAt: number,
    now: number,
  ): Promise<void> {
    // Each insert is idempotent and the mark comes last: a crash between them only repeats the inserts.
    for (const video of candidate.videos) {
      await this.run('insertRow', enqueueParams(candidate, video, storage, expiresAt, now));
    }
    await this.run('markEnqueued', { taskId: candidate.taskId, now });
  }

  async claimDue(limit: number, leaseUntil: number, now: number): Promise<ArchiveRow[]> {
    return (await this.run<ArchiveDbRow>('claimDue', { limit, leaseUntil, now })).map(toArchiveRow);
  }

  async renewLease(taskId: string, videoId: string, leaseUntil: number): Promise<boolean> {
    return (await this.count('renewLease', { taskId, videoId, leaseUntil })) === 1;
  }

  async releaseAllLeases(): Promise<void> {
    await this.run('releaseAllLeases', {});
  }

  async markArchived(taskId: string, videoId: string, copy: ArchivedCopy, now: number): Promise<void> {
    await this.run('markArchived', { taskId, videoId, ...copy, now });
  }

  async scheduleRetry(taskId: string, videoId: string, error: string, nextAttemptAt: number): Promise<void> {
    await this.run('scheduleRetry', { taskId, videoId, error, nextAttemptAt });
  }

  async markFailed(taskId: string, videoId: string, error: string): Promise<void> {
    await this.run('markFailed', { taskId, videoId, error });
  }

  async archivedBefore(before: number, limit: number): Promise<ArchiveRow[]> {
    return (await this.run<ArchiveDbRow>('archivedBefore', { before, limit })).map(toArchiveRow);
  }

  async markDeleted(taskId: string, videoId: string, now: number): Promise<void> {
    await this.run('markDeleted', { taskId, videoId, now });
  }

  async byTasks(tenant: string, taskIds: readonly string[]): Promise<ArchiveRow[]> {
    return (await this.run<ArchiveDbRow>('byTasks', { tenant, ids: taskIds })).map(toArchiveRow);
  }

  async byVideos(tenant: string, videoIds: readonly string[]): Promise<ArchiveRow[]> {
    return (await this.run<ArchiveDbRow>('byVideos', { tenant, ids: videoIds })).map(toArchiveRow);
  }

  async get(taskId: string, videoId: string): Promise<ArchiveRow | null> {
    const rows = await this.run<ArchiveDbRow>('get', { taskId, videoId });
    return rows.length > 0 ? toArchiveRow(rows[0]) : null;
  }

  async archivedBytes(tenant: string, from: number, to: number): Promise<number> {
    // SUM of a BIGINT is a NUMERIC, which pg hands back as text
    const rows = await this.run<{ total: string }>('archivedBytes', { tenant, from, to });
    return Number(rows[0].total);
  }

  private async run<R extends QueryResultRow>(name: ArchiveSqlName, params: Record<string, unknown>): Promise<R[]> {
    const statement = STATEMENTS[name];
    const result = await this.pool.query<R>({
      name: statement.name,
      text: statement.text,
      values: positionalValues(statement, params),
    });
    return result.rows;
  }

  private async count(name: ArchiveSqlName, params: Record<string, unknown>): Promise<number> {
    const statement = STATEMENTS[name];
    const result = await this.pool.query({
      name: statement.name,
      text: statement.text,
      values: positionalValues(statement, params),
    });
    return result.rowCount ?? 0;
  }
}
