import DataLoader from 'dataloader';
import type { ArchiveRow, ArchiveStore } from '../../store/archive/ArchiveStore';
import { ArchiveState } from '../../types/ArchiveState';
import { UPSTREAM_RETENTION_MS } from './Archiver';
import type { MediaUrlSigner } from './MediaUrlSigner';

export interface ArchiveLinksOptions {
  archives: ArchiveStore;
  /** null when ARCHIVE=off */
  mode: 'fs' | 's3' | null;
  /** fs: signs /media URLs on this server's public origin */
  signer: MediaUrlSigner | null;
  origin: () => string;
  /** s3: a presigned GET */
  presign: ((key: string, ttlSeconds: number) => Promise<string>) | null;
  ttlSeconds: number;
  now: () => number;
}

interface Loaders {
  byTask: DataLoader<string, ArchiveRow[]>;
  byVideo: DataLoader<string, ArchiveRow | null>;
}

/**
 * What resolvers show of the archive: a task's archivedState and a video's archivedUrl, only ever from the
 * caller's tenant's rows. The rows a request needs are read in one query per kind (a DataLoader per request), so
 * a page of 50 tasks costs two archive queries, not a hundred.
 */
export class ArchiveLinks {
  private readonly loaders = new WeakMap<object, Loaders>();

  constructor(private readonly options: ArchiveLinksOptions) {}

  /**
   * null unless the task SUCCEEDED; then the least advanced of its videos' states. A task never handed over
   * whose videos Kling no longer holds (older than its retention) will never be copied: OFF.
   */
  async stateOf(
    request: object,
    tenant: string,
    task: { id: string; succeeded: boolean; createdAt: number },
  ): Promise<ArchiveState | null> {
    if (!task.succeeded) return null;
    if (!this.options.mode) return ArchiveState.OFF;
    const rows = await this.loadersFor(request, tenant).byTask.load(task.id);
    if (rows.length === 0 && task.createdAt + UPSTREAM_RETENTION_MS < this.options.now()) return ArchiveState.OFF;
    return aggregate(rows);
  }

  /** a URL that plays without a header, or null while no whole copy is kept here */
  async urlOf(request: object, tenant: string, videoId: string): Promise<string | null> {
    const { mode, signer, presign, origin, ttlSeconds, now } = this.options;
    if (!mode) return null;
    const row = await this.loadersFor(request, tenant).byVideo.load(videoId);
    if (!row || row.state !== 'archived' || row.storage !== mode || !row.storageKey) return null;
    if (presign) return presign(row.storageKey, ttlSeconds);
    if (!signer) return null;
    const expires = Math.floor(now() / 1000) + ttlSeconds;
    return `${origin()}${signer.pathFor({ taskId: row.taskId, videoId: row.videoId, expires }, row.tenant)}`;
  }

  private loadersFor(request: object, tenant: string): Loaders {
    let loaders = this.loaders.get(request);
    if (!loaders) {
      const { archives } = this.options;
      loaders = {
        byTask: new DataLoader(async (ids) => {
          const rows = await archives.byTasks(tenant, ids);
          return ids.map((id) => rows.filter((row) => row.taskId === id));
        }),
        byVideo: new DataLoader(async (ids) => {
          const rows = await archives.byVideos(tenant, ids);
          // a video in two tasks (reused as a source): the copy made last
          return ids.map(
            (id) =>
              rows
                .filter((row) => row.videoId === id && row.state === 'archived')
                .sort((a, b) => (b.archivedAt ?? 0) - (a.archivedAt ?? 0))[0] ?? null,
          );
        }),
      };
      this.loaders.set(request, loaders);
    }
    return loaders;
  }
}

/** No rows yet: the archiver has not taken the task on (PENDING). Otherwise the least advanced video decides. */
function aggregate(rows: readonly ArchiveRow[]): ArchiveState {
  if (rows.length === 0 || rows.some((row) => row.state === 'pending')) return ArchiveState.PENDING;
  if (rows.some((row) => row.state === 'failed')) return ArchiveState.FAILED;
  if (rows.some((row) => row.state === 'deleted')) return ArchiveState.OFF;
  return ArchiveState.ARCHIVED;
}
