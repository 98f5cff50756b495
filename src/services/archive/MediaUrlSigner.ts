import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TaskStore } from '../../store/TaskStore';

/** Where the key lives in the store's settings (shared by every instance, kept across restarts). */
const SECRET_NAME = 'media-url-hmac-key';
export const MEDIA_PATH_PREFIX = '/media/';

export interface MediaUrlParts {
  taskId: string;
  videoId: string;
  /** epoch seconds after which the URL no longer works */
  expires: number;
}

/**
 * The signed URLs of archived videos kept on disk: `/media/<task id>/<video id>.mp4?exp=<epoch s>&sig=<HMAC>`.
 * The HMAC-SHA256 covers the task, the video, the expiry and the tenant that owns the copy, so a URL works for
 * one video, until its expiry, and only while that video belongs to the tenant it was issued to: changing any
 * part of it (another tenant's task id, a later expiry) makes the signature wrong. It needs no header, so it
 * plays in a <video> tag; like any bearer link, whoever holds it may watch until it expires.
 */
export class MediaUrlSigner {
  private constructor(private readonly key: Buffer) {}

  /** The key is created once per database (the first instance to start wins) and read by every other. */
  static async open(store: TaskStore): Promise<MediaUrlSigner> {
    const secret = await store.getOrCreateSecret(SECRET_NAME, randomBytes(32).toString('base64url'));
    return new MediaUrlSigner(Buffer.from(secret, 'base64url'));
  }

  /** path and query, to be put after the server's origin */
  pathFor(parts: MediaUrlParts, tenant: string): string {
    const path = `${MEDIA_PATH_PREFIX}${encodeURIComponent(parts.taskId)}/${encodeURIComponent(parts.videoId)}.mp4`;
    return `${path}?exp=${parts.expires}&sig=${this.signature(parts, tenant)}`;
  }

  /** Constant time in the signature. */
  verify(parts: MediaUrlParts, tenant: string, signature: string): boolean {
    const expected = Buffer.from(this.signature(parts, tenant));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private signature(parts: MediaUrlParts, tenant: string): string {
    // Lengths first: no two different tuples can run together into the same signed text.
    const fields = [parts.taskId, parts.videoId, String(parts.expires), tenant];
    return createHmac('sha256', this.key)
      .update(fields.map((field) => `${field.length}:${field}`).join('|'))
      .digest('base64url');
  }
}

/** `/media/<task>/<video>.mp4` → its ids; null for any other shape. */
export function parseMediaPath(urlPath: string): { taskId: string; videoId: string } | null {
  const match = /^\/media\/([^/]+)\/([^/]+)\.mp4$/.exec(urlPath);
  if (!match) return null;
  try {
    return { taskId: decodeURIComponent(match[1]), videoId: decodeURIComponent(match[2]) };
  } catch {
    return null;
  }
}
