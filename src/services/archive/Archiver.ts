import type { Logger } from 'pino';
import type { TaskRecord } from '../../domain/task';
import type { ArchiveConfig } from '../../config';
import type { Metrics } from '../../metrics';
import type { ArchiveCandidate, ArchiveRow, ArchiveStore } from '../../store/archive/ArchiveStore';
import type { TaskUpdateHub } from '../TaskUpdateHub';
import { storageKeyOf, type ArchiveStorage } from './ArchiveStorage';
import { DownloadError, type MediaDownloader } from './MediaDownloader';

/** docs/kling.md, "Retention": Kling deletes generated videos 30 days after creation. */
export const UPSTREAM_RETENTION_MS = 30 * 86_400_000;
/** the longest wait between two tries */
const MAX_RETRY_DELAY_MS = 6 * 3_600_000;
/** a claim's lifetime, renewed every third of it while the download runs */
const LEASE_MS = 60_000;
const TICK_MS = 1_000;
const BATCH = 50;

export interface ArchiverOptions {
  archives: ArchiveStore;
  /** true on SQLite: no other process can hold a lease, so those left by a crash are taken back at start */
  singleProcess: boolean;
  storage: ArchiveStorage;
  downloader: MediaDownloader;
  hub: TaskUpdateHub;
  log: Logger;
  metrics: Metrics;
  now: () => number;
  config: Pick<ArchiveConfig, 'concurrency' | 'maxAttempts' | 'retryMinMs'>;
}

/**
 * Copies every succeeded task's result videos into the archive storage, beside the task's life rather than in
 * it: it finds succeeded tasks in the store (a partial index of those not handed over yet) on a timer and at
 * once when this instance hears of a success, and never touches a task's status. Each video is claimed with a
 * lease, so with several instances one downloads it; a failed download is tried again with a doubling delay
 * while the upstream still holds the video, and is FAILED after ARCHIVE_MAX_ATTEMPTS or once it expired.
 */
export class Archiver {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly options: ArchiverOptions) {}

  async start(): Promise<void> {
    await this.options.storage.start();
    if (this.options.singleProcess) await this.options.archives.releaseAllLeases();
    this.unsubscribe = this.options.hub.subscribeAll((record: TaskRecord) => {
      if (record.state === 'succeeded') this.wake();
    });
    this.timer = setInterval(() => this.wake(), TICK_MS).unref();
    this.wake();
  }

  /** Stops claiming, aborts the downloads in progress (they are retried later) and waits for them. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    this.stopping.abort();
    await this.running;
    await Promise.allSettled(this.inFlight.values());
    this.options.downloader.close();
    await this.options.storage.close();
  }

  /** Runs a round now, or right after the one in progress. */
  private wake(): void {
    if (this.stopping.signal.aborted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch((error: unknown) => this.options.log.warn({ err: error }, 'archive round failed'))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async round(): Promise<void> {
    const { archives, now, storage, config } = this.options;
    let candidates: ArchiveCandidate[];
    do {
      // tasks from before the archive (or from while it was off) whose videos Kling still holds are taken too
      candidates = await archives.candidates(BATCH, now() - UPSTREAM_RETENTION_MS);
      // Requested together: on SQLite one group commit for the batch, not one commit (and fsync) per task, which
      // kept an instance with a long history busy for minutes after archiving was turned on (bench B8).
      const at = now();
      await Promise.all(
        candidates.map((candidate) =>
          archives.enqueue(candidate, storage.kind, candidate.createdAt + UPSTREAM_RETENTION_MS, at),
        ),
      );
    } while (candidates.length === BATCH && !this.stopping.signal.aborted);
    const room = config.concurrency - this.inFlight.size;
    if (room <= 0 || this.stopping.signal.aborted) return;
    const at = now();
    for (const row of await archives.claimDue(room, at + LEASE_MS, at)) {
      const key = `${row.taskId}/${row.videoId}`;
      this.inFlight.set(
        key,
        this.archive(row).finally(() => {
          this.inFlight.delete(key);
          this.wake(); // a slot is free
        }),
      );
    }
  }

  private async archive(row: ArchiveRow): Promise<void> {
    const { archives, downloader, storage, log, now } = this.options;
    if (now() > row.expiresAt) {
      await archives.markFailed(row.taskId, row.videoId, 'the upstream no longer holds the video (30-day retention)');
      return;
    }
    const renew = setInterval(
      () => void archives.renewLease(row.taskId, row.videoId, now() + LEASE_MS).catch(() => undefined),
      LEASE_MS / 3,
    ).unref();
    const started = now();
    try {
      const key = storageKeyOf(row.taskId, row.videoId);
      const copy = await downloader.download(
        row.url,
        (body) => storage.save(key, body, this.stopping.signal),
        this.stopping.signal,
      );
      await archives.markArchived(row.taskId, row.videoId, { ...copy, storageKey: key }, now());
      this.options.metrics.archiveDownloads.inc({ outcome: 'archived' });
      this.options.metrics.archivedBytes.inc(copy.bytes);
      log.info(
        { taskId: row.taskId, videoId: row.videoId, bytes: copy.bytes, ms: now() - started, attempts: row.attempts },
        'video archived',
      );
    } catch (error) {
      await this.failed(row, error);
    } finally {
      clearInterval(renew);
    }
  }

  private async failed(row: ArchiveRow, error: unknown): Promise<void> {
    const { archives, log, now, config } = this.options;
    const reason = error instanceof DownloadError ? error.message : `storage failed: ${(error as Error).message}`;
    const next = now() + Math.min(MAX_RETRY_DELAY_MS, config.retryMinMs * 2 ** (row.attempts - 1));
    const permanent = error instanceof DownloadError && error.permanent;
    const exhausted = config.maxAttempts !== null && row.attempts >= config.maxAttempts;
    if (this.stopping.signal.aborted && !permanent) {
      // shutting down: not the video's fault; the next start (or another instance) tries at once
      await archives.scheduleRetry(row.taskId, row.videoId, reason, now());
    } else if (permanent || exhausted || next > row.expiresAt) {
      await archives.markFailed(row.taskId, row.videoId, reason);
      this.options.metrics.archiveDownloads.inc({ outcome: 'failed' });
      log.warn({ taskId: row.taskId, videoId: row.videoId, attempts: row.attempts, reason }, 'archive failed');
    } else {
      await archives.scheduleRetry(row.taskId, row.videoId, reason, next);
      this.options.metrics.archiveDownloads.inc({ outcome: 'retry' });
      setTimeout(() => this.wake(), next - now()).unref(); // on time, not at the next tick
      log.info({ taskId: row.taskId, videoId: row.videoId, attempts: row.attempts, reason }, 'archive retry scheduled');
    }
  }
}
