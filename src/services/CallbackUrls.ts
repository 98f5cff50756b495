import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TaskStore } from '../store/TaskStore';

/** Where the key lives in the store's settings (shared by every instance, kept across restarts). */
const SECRET_NAME = 'kling-callback-hmac-key';
export const CALLBACK_PATH_PREFIX = '/callbacks/kling/';

/**
 * The per-task callback URLs handed to Kling: `${PUBLIC_URL}/callbacks/kling/<record id>/<token>`, where the
 * token is HMAC-SHA256 of the record id under a server key. Kling's callbacks are not signed
 * (docs/api.md, "Callbacks"), so the token in the URL is what makes a callback cost nothing to forge:
 * only Kling (and we) know it, one task's token says nothing about another's, and no row is read to check it.
 */
export class CallbackUrls {
  private constructor(
    private readonly publicUrl: string,
    private readonly key: Buffer,
  ) {}

  /** The key is created once per database (the first instance to start wins) and read by every other. */
  static async open(store: TaskStore, publicUrl: string): Promise<CallbackUrls> {
    const secret = await store.getOrCreateSecret(SECRET_NAME, randomBytes(32).toString('base64url'));
    return new CallbackUrls(publicUrl, Buffer.from(secret, 'base64url'));
  }

  urlFor(recordId: string): string {
    return `${this.publicUrl}${CALLBACK_PATH_PREFIX}${encodeURIComponent(recordId)}/${this.token(recordId)}`;
  }

  /** Constant time in the token, whatever it is (and whether or not the task exists). */
  verify(recordId: string, token: string): boolean {
    const expected = Buffer.from(this.token(recordId));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private token(recordId: string): string {
    return createHmac('sha256', this.key).update(recordId).digest('base64url');
  }
}
