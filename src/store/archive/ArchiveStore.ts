/** Where one result video stands in the archive (src/services/archive/Archiver.ts). */
export type ArchiveRowState = 'pending' | 'archived' | 'failed' | 'deleted';

/** Which storage holds the copy (ARCHIVE); a row kept by another one than the running server's is not served. */
export type ArchiveStorageKind = 'fs' | 's3';

export interface ArchiveRow {
  taskId: string;
  videoId: string;
  tenant: string;
  /** the upstream result URL the copy is made from */
  url: string;
  state: ArchiveRowState;
  storage: ArchiveStorageKind;
  /** downloads tried so far (a claim counts one) */
  attempts: number;
  nextAttemptAt: number;
  leaseUntil: number;
  /** epoch ms after which the upstream no longer holds the video (docs/kling.md, "Retention") */
  expiresAt: number;
  /** the task's createdAt: usage sums archived bytes over it */
  taskCreatedAt: number;
  archivedAt: number | null;
  bytes: number | null;
  sha256: string | null;
  storageKey: string | null;
  lastError: string | null;
}

/** A succeeded task whose videos the archiver has not taken on yet. */
export interface ArchiveCandidate {
  taskId: string;
  tenant: string;
  createdAt: number;
  videos: Array<{ id: string; url: string }>;
}

export interface ArchivedCopy {
  bytes: number;
  sha256: string;
  storageKey: string;
}

/**
 * The archive's rows, in the same database as the tasks (SQLite or PostgreSQL). Every method is atomic on its
 * own; claims are compare-and-set so that, with several instances, one video is downloaded by one at a time.
 */
export interface ArchiveStore {
  /**
   * succeeded tasks not handed to the archiver yet whose last change is at or after `since` (older ones' videos
   * are gone upstream: they are never handed over), oldest change first
   */
  candidates(limit: number, since: number): Promise<ArchiveCandidate[]>;
  /** writes one pending row per video (existing rows stay as they are) and marks the task as handed over */
  enqueue(candidate: ArchiveCandidate, storage: ArchiveStorageKind, expiresAt: number, now: number): Promise<void>;
  /** takes due pending rows no live lease holds, counting an attempt on each */
  claimDue(limit: number, leaseUntil: number, now: number): Promise<ArchiveRow[]>;
  /** extends a claim; false when the row is no longer pending */
  renewLease(taskId: string, videoId: string, leaseUntil: number): Promise<boolean>;
  /** a process that starts alone on its store (SQLite) takes back the leases its previous life held */
  releaseAllLeases(): Promise<void>;
  markArchived(taskId: string, videoId: string, copy: ArchivedCopy, now: number): Promise<void>;
  /** back to pending, tried again at `nextAttemptAt` */
  scheduleRetry(taskId: string, videoId: string, error: string, nextAttemptAt: number): Promise<void>;
  markFailed(taskId: string, videoId: string, error: string): Promise<void>;
  /** archived rows older than `before` (retention), oldest first */
  archivedBefore(before: number, limit: number): Promise<ArchiveRow[]>;
  markDeleted(taskId: string, videoId: string, now: number): Promise<void>;
  /** the rows of these tasks, only the tenant's */
  byTasks(tenant: string, taskIds: readonly string[]): Promise<ArchiveRow[]>;
  /** the rows of these result videos, only the tenant's */
  byVideos(tenant: string, videoIds: readonly string[]): Promise<ArchiveRow[]>;
  /** one row, whoever owns it (the media route checks the signature against its tenant) */
  get(taskId: string, videoId: string): Promise<ArchiveRow | null>;
  /** bytes held in the archive for the tenant's tasks created in [from, to) (usage's archivedBytes) */
  archivedBytes(tenant: string, from: number, to: number): Promise<number>;
}
