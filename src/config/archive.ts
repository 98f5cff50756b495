import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './ConfigError';
import type { Variables } from './variables';

/** Where succeeded tasks' videos are copied, and how (ARCHIVE, ARCHIVE_*, MEDIA_URL_TTL_SECONDS). */
export interface ArchiveConfig {
  mode: 'fs' | 's3' | 'off';
  /** fs: the directory the copies live in (ARCHIVE_DIR; default beside the SQLite file, else ./data/media) */
  dir: string;
  /** s3: the bucket and how to reach it; credentials come from the AWS SDK's usual sources */
  s3: { bucket: string; endpoint: string | null; region: string; forcePathStyle: boolean } | null;
  /** a download larger than this is stopped and the video marked FAILED */
  maxBytes: number;
  /** one download, start to end */
  timeoutMs: number;
  /** null = retried until the upstream's copy expires (docs/kling.md, "Retention") */
  maxAttempts: number | null;
  /** the first retry's delay; it doubles up to 6 hours */
  retryMinMs: number;
  /** downloads at once per instance */
  concurrency: number;
  /** archived files older than this are deleted; null = kept */
  retentionMs: number | null;
  /** how long a signed media URL (or an S3 presigned one) works */
  mediaUrlTtlSeconds: number;
}

export function archiveConfig(v: Variables, env: NodeJS.ProcessEnv): ArchiveConfig {
  if (v.ARCHIVE === 's3' && !v.ARCHIVE_S3_BUCKET)
    throw new ConfigError('ARCHIVE_S3_BUCKET', 'must be set with ARCHIVE=s3');
  return Object.freeze({
    mode: v.ARCHIVE,
    dir: path.resolve(v.ARCHIVE_DIR ?? defaultMediaDir(v.DATABASE_URL)),
    s3: v.ARCHIVE_S3_BUCKET
      ? {
          bucket: v.ARCHIVE_S3_BUCKET,
          endpoint: v.ARCHIVE_S3_ENDPOINT ?? null,
          region: v.ARCHIVE_S3_REGION ?? env.AWS_REGION ?? 'us-east-1',
          forcePathStyle: v.ARCHIVE_S3_FORCE_PATH_STYLE === 'true',
        }
      : null,
    maxBytes: v.ARCHIVE_MAX_BYTES,
    timeoutMs: v.ARCHIVE_TIMEOUT_MS,
    maxAttempts: v.ARCHIVE_MAX_ATTEMPTS ?? null,
    retryMinMs: v.ARCHIVE_RETRY_MIN_MS,
    concurrency: v.ARCHIVE_CONCURRENCY,
    retentionMs: v.ARCHIVE_RETENTION_DAYS === undefined ? null : Math.round(v.ARCHIVE_RETENTION_DAYS * 86_400_000),
    mediaUrlTtlSeconds: v.MEDIA_URL_TTL_SECONDS,
  });
}

/** `media/` beside the SQLite file (./data/media by default); ./data/media for PostgreSQL or an in-memory file. */
function defaultMediaDir(databaseUrl: string): string {
  if (!databaseUrl.startsWith('file:') || databaseUrl === 'file::memory:') return path.join('data', 'media');
  const file = databaseUrl.startsWith('file://') ? fileURLToPath(databaseUrl) : databaseUrl.slice('file:'.length);
  return path.join(path.dirname(file), 'media');
}
