import { createHash } from 'node:crypto';
import type { LipSyncRequest } from '../domain/request';
import type { TaskMode } from '../domain/task';

const HASHED_FIELDS = [
  'videoId',
  'videoUrl',
  'text',
  'voiceId',
  'voiceLanguage',
  'voiceSpeed',
  'audioUrl',
  'audioFile',
  'callbackUrl',
] as const satisfies ReadonlyArray<keyof LipSyncRequest>;

/**
 * Fingerprint of what a create asks for (not how it asks: the key itself and the explicit-vs-inferred mode
 * do not count), so that a retry with the same key can be told from a key reused for another request.
 */
export function requestHash(request: LipSyncRequest, mode: TaskMode): string {
  const hash = createHash('sha256').update(mode);
  for (const field of HASHED_FIELDS) {
    const value = request[field];
    hash
      .update('\u0000')
      .update(field)
      .update('=')
      .update(value === undefined || value === null ? '' : String(value));
  }
  return hash.digest('base64url');
}
