import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { redactUrl } from '../../redactUrl';
import type { TaskStore } from '../../store/TaskStore';
import type { WebhookOutbox } from '../../store/WebhookOutbox';

/** Where a generated root is kept in the store's settings table (shared by every instance, kept across restarts). */
const GENERATED_ROOT_NAME = 'webhook-signing-root';

export interface WebhookSecretsOptions {
  /** WEBHOOK_SECRET, or null */
  configured: string | null;
  production: boolean;
  store: TaskStore;
  /** DATABASE_URL, only to tell the operator where a generated root is kept (redacted) */
  databaseUrl: string;
  log: Logger;
  rotationOverlapMs: number;
  now: () => number;
}

/** Webhooks cannot be signed: production without WEBHOOK_SECRET. */
export class WebhooksDisabledError extends Error {
  constructor() {
    super('webhooks are off: this server runs in production without WEBHOOK_SECRET');
    this.name = 'WebhooksDisabledError';
  }
}

/**
 * Each tenant's Standard Webhooks secret, `whsec_<base64 of 32 bytes>`: HMAC-SHA256 of the root secret and
 * "<tenant>\n<generation>", so one tenant's secret says nothing about another's, nothing secret is stored per
 * tenant, and every instance derives the same one. A rotation only counts the generation up (in the store); the
 * previous generation keeps signing for the overlap, as a second signature.
 */
export class WebhookSecrets {
  private constructor(
    private readonly root: Buffer | null,
    private readonly outbox: WebhookOutbox,
    private readonly overlapMs: number,
    private readonly now: () => number,
  ) {}

  /**
   * WEBHOOK_SECRET when set. Otherwise, outside production, a root generated at first start and kept in the store
   * (the first instance wins; the log says where, never the value); in production, none: webhooks are off and a
   * callbackUrl is refused (docs/operations.md).
   */
  static async open(options: WebhookSecretsOptions): Promise<WebhookSecrets> {
    const { configured, production, store, log } = options;
    let root: Buffer | null = configured ? Buffer.from(configured, 'utf8') : null;
    if (!root && production) {
      log.warn('WEBHOOK_SECRET is not set: webhooks are off (createLipSync refuses a callbackUrl)');
    } else if (!root) {
      const kept = await store.getOrCreateSecret(GENERATED_ROOT_NAME, randomBytes(32).toString('base64url'));
      root = Buffer.from(kept, 'base64url');
      log.info(
        { store: redactUrl(options.databaseUrl), setting: GENERATED_ROOT_NAME },
        'webhook signing root: WEBHOOK_SECRET is not set, so a generated one kept in the store is used',
      );
    }
    return new WebhookSecrets(root, store.webhooks, options.rotationOverlapMs, options.now);
  }

  get enabled(): boolean {
    return this.root !== null;
  }

  /** The tenant's current secret. */
  async current(tenant: string): Promise<string> {
    const { generation } = await this.outbox.signingKey(tenant);
    return this.derive(tenant, generation);
  }

  /** The secrets a webhook is signed with now: the current one, and the previous one during a rotation's overlap. */
  async signing(tenant: string): Promise<string[]> {
    const { generation, rotatedAt } = await this.outbox.signingKey(tenant);
    const secrets = [this.derive(tenant, generation)];
    if (generation > 0 && this.now() < rotatedAt + this.overlapMs) secrets.push(this.derive(tenant, generation - 1));
    return secrets;
  }

  /** A new generation; returns its secret. */
  async rotate(tenant: string): Promise<string> {
    if (!this.root) throw new WebhooksDisabledError();
    const { generation } = await this.outbox.rotateSigningKey(tenant, this.now());
    return this.derive(tenant, generation);
  }

  private derive(tenant: string, generation: number): string {
    if (!this.root) throw new WebhooksDisabledError();
    return `whsec_${createHmac('sha256', this.root).update(`${tenant}\n${generation}`).digest('base64')}`;
  }
}
