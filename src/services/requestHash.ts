import { createHash } from 'node:crypto';
import type { AdvancedLipSyncRequest } from '../domain/advancedRequest';
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

/** The advanced input's defaults, applied before hashing: leaving a default out asks for the same thing as giving it. */
const FACE_DEFAULTS = { audioId: null, soundUrl: null, soundFile: null, soundVolume: 1, originalAudioVolume: 1 };

/**
 * Fingerprint of an advanced create (docs/api.md, "Idempotency"): the session, each face with its audio, times and
 * volumes (defaults filled in), the watermark and the callback URL, in a fixed field order.
 */
export function advancedRequestHash(request: AdvancedLipSyncRequest): string {
  const normalized = {
    sessionId: request.sessionId,
    faces: request.faces.map((face) => {
      const given = Object.fromEntries(
        Object.entries(face).filter(([, value]) => value !== undefined && value !== null),
      );
      const full: Record<string, unknown> = { ...FACE_DEFAULTS, ...given };
      return [
        'faceId',
        'audioId',
        'soundUrl',
        'soundFile',
        'soundStartMs',
        'soundEndMs',
        'soundInsertMs',
        'soundVolume',
        'originalAudioVolume',
      ].map((field) => full[field] ?? null);
    }),
    watermark: request.watermark === true,
    callbackUrl: request.callbackUrl ?? null,
  };
  return createHash('sha256').update('ADVANCED\u0000').update(JSON.stringify(normalized)).digest('base64url');
}
