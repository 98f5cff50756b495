import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ArchiveStorageKind } from '../../store/archive/ArchiveStore';

/** Where archived videos are kept: a directory (fs) or a bucket (s3). */
export interface ArchiveStorage {
  readonly kind: ArchiveStorageKind;
  /** prepares the storage (directories, leftovers of a crash) */
  start(): Promise<void>;
  /** streams `body` into `key`: afterwards the copy is there whole, or not at all (never a partial file) */
  save(key: string, body: Readable, signal: AbortSignal): Promise<void>;
  /** deletes the copy; deleting a missing one is not an error */
  remove(key: string): Promise<void>;
  close(): Promise<void>;
}

const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/**
 * `<task id>/<video id>.mp4`: readable in a directory listing or a bucket. An id with characters a file or key
 * should not hold (Kling's are digits; ours UUIDs) is replaced by its hash, so no id can climb out of the root.
 */
export function storageKeyOf(taskId: string, videoId: string): string {
  return `${safeName(taskId)}/${safeName(videoId)}.mp4`;
}

function safeName(id: string): string {
  return SAFE_NAME.test(id) ? id : createHash('sha256').update(id).digest('hex').slice(0, 40);
}
