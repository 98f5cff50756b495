import type { Logger } from 'pino';
import type { ArchiveConfig } from '../../config';
import type { OutboundUrlPolicy } from '../../domain/outboundUrl';
import type { Metrics } from '../../metrics';
import { createMediaRoute } from '../../http/mediaRoute';
import type { TaskStore } from '../../store/TaskStore';
import type { TaskUpdateHub } from '../TaskUpdateHub';
import { ArchiveLinks } from './ArchiveLinks';
import { ArchiveRetention } from './ArchiveRetention';
import type { ArchiveStorage } from './ArchiveStorage';
import { Archiver } from './Archiver';
import { FsArchiveStorage } from './FsArchiveStorage';
import { MediaDownloader } from './MediaDownloader';
import { MediaUrlSigner } from './MediaUrlSigner';
import { S3ArchiveStorage } from './S3ArchiveStorage';

export interface ArchiveParts {
  links: ArchiveLinks;
  /** GET /media/…, only with ARCHIVE=fs */
  mediaRoute?: ReturnType<typeof createMediaRoute>;
  /** starts the background work once the server listens */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ArchiveDeps {
  store: TaskStore;
  hub: TaskUpdateHub;
  log: Logger;
  metrics: Metrics;
  now: () => number;
  policy: OutboundUrlPolicy;
  /** this server's public origin, for /media URLs (PUBLIC_URL, else where it listens) */
  origin: () => string;
  /** URL prefixes the downloader trusts: this server's own, for the simulated upstream's videos */
  trustedPrefixes: () => readonly string[];
}

/** The archive's parts for ARCHIVE=fs|s3|off, wired once by src/composition/buildResultArchive.ts. */
export async function buildArchive(config: ArchiveConfig, deps: ArchiveDeps): Promise<ArchiveParts> {
  const { store, log, now } = deps;
  const links = { archives: store.archives, ttlSeconds: config.mediaUrlTtlSeconds, now, origin: deps.origin };
  if (config.mode === 'off') {
    return {
      links: new ArchiveLinks({ ...links, mode: null, signer: null, presign: null }),
      start: async () => undefined,
      stop: async () => undefined,
    };
  }
  let storage: ArchiveStorage;
  let signer: MediaUrlSigner | null = null;
  let mediaRoute: ArchiveParts['mediaRoute'];
  let presign: ((key: string, ttlSeconds: number) => Promise<string>) | null = null;
  if (config.mode === 's3' && config.s3) {
    const s3 = await S3ArchiveStorage.open(config.s3);
    storage = s3;
    presign = (key, ttl) => s3.presignedUrl(key, ttl);
  } else {
    const fs = new FsArchiveStorage(config.dir, config.timeoutMs + 60_000);
    storage = fs;
    signer = await MediaUrlSigner.open(store);
    mediaRoute = createMediaRoute({ archives: store.archives, storage: fs, signer, now });
  }
  const archiver = new Archiver({
    archives: store.archives,
    singleProcess: store.singleProcess,
    storage,
    downloader: new MediaDownloader({
      policy: deps.policy,
      maxBytes: config.maxBytes,
      timeoutMs: config.timeoutMs,
      trustedPrefixes: deps.trustedPrefixes,
    }),
    hub: deps.hub,
    log,
    metrics: deps.metrics,
    now,
    config,
  });
  const retention =
    config.retentionMs === null
      ? null
      : new ArchiveRetention({ archives: store.archives, storage, retentionMs: config.retentionMs, log, now });
  return {
    links: new ArchiveLinks({ ...links, mode: config.mode, signer, presign }),
    mediaRoute,
    async start() {
      await archiver.start();
      retention?.start();
      log.info({ archive: config.mode, retentionMs: config.retentionMs }, 'result archive on');
    },
    async stop() {
      await retention?.stop();
      await archiver.stop();
    },
  };
}
