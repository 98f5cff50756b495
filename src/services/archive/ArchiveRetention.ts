import type { Logger } from 'pino';
import type { ArchiveStore } from '../../store/archive/ArchiveStore';
import type { ArchiveStorage } from './ArchiveStorage';

const BATCH = 100;

/**
 * ARCHIVE_RETENTION_DAYS: archived copies older than that are deleted from the storage and their rows marked
 * `deleted` (archivedState OFF, archivedUrl null), on a timer: a quarter of the retention, between 1 s and 1 h.
 */
export class ArchiveRetention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly options: {
      archives: ArchiveStore;
      storage: ArchiveStorage;
      retentionMs: number;
      log: Logger;
      now: () => number;
    },
  ) {}

  start(): void {
    const every = Math.min(3_600_000, Math.max(1_000, this.options.retentionMs / 4));
    this.timer = setInterval(() => this.sweep(), every).unref();
    this.sweep();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private sweep(): void {
    this.running ??= this.deleteExpired()
      .catch((error: unknown) => this.options.log.warn({ err: error }, 'archive retention sweep failed'))
      .finally(() => (this.running = null));
  }

  private async deleteExpired(): Promise<void> {
    const { archives, storage, retentionMs, log, now } = this.options;
    let rows;
    do {
      rows = await archives.archivedBefore(now() - retentionMs, BATCH);
      for (const row of rows) {
        // a row kept by another storage (ARCHIVE changed since) is only marked: this server cannot reach it
        if (row.storageKey && row.storage === storage.kind) await storage.remove(row.storageKey);
        await archives.markDeleted(row.taskId, row.videoId, now());
      }
      if (rows.length > 0) log.info({ deleted: rows.length }, 'archived videos past ARCHIVE_RETENTION_DAYS deleted');
    } while (rows.length === BATCH);
  }
}
