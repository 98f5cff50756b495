import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { UnauthenticatedError } from '../errors';
import type { Metrics } from '../metrics';

export const DEFAULT_TENANT = 'default';

export type Transport = 'http' | 'ws';

/** The token of an `Authorization: Bearer <token>` value, or null. */
export function bearerToken(authorization: string | undefined | null): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1] ?? null;
}

/**
 * Tokens are compared as SHA-256 digests: every comparison is over 32 bytes whatever was sent, so
 * `timingSafeEqual` applies and the time taken says nothing about how much of a token matched.
 */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function sameToken(presentedDigest: Buffer, knownDigest: Buffer): boolean {
  return timingSafeEqual(presentedDigest, knownDigest);
}

export interface AuthenticatorOptions {
  /** token → tenant; null = open, single tenant `default` */
  tokens: ReadonlyMap<string, string> | null;
  log: Logger;
  metrics: Metrics;
}

/**
 * The one door every transport goes through: an Authorization value in, the caller's tenant out, or
 * UNAUTHENTICATED. Failures are logged (why, never the token) and counted by transport.
 */
export class Authenticator {
  private readonly table: ReadonlyArray<{ digest: Buffer; tenant: string }> | null;

  constructor(private readonly options: AuthenticatorOptions) {
    this.table = options.tokens
      ? [...options.tokens].map(([token, tenant]) => ({ digest: tokenDigest(token), tenant }))
      : null;
  }

  tenantOf(authorization: string | undefined | null, transport: Transport): string {
    if (!this.table) return DEFAULT_TENANT;
    const token = bearerToken(authorization);
    const tenant = token === null ? undefined : this.lookup(token);
    if (tenant !== undefined) return tenant;
    this.options.metrics.authFailures.inc({ transport });
    this.options.log.warn(
      { transport, reason: token === null ? 'no bearer token' : 'unknown token' },
      'authentication failed',
    );
    throw new UnauthenticatedError();
  }

  /** Walks the whole table whatever matches, so the time taken does not tell where (or whether) a token sits. */
  private lookup(token: string): string | undefined {
    const digest = tokenDigest(token);
    let tenant: string | undefined;
    for (const entry of this.table ?? []) {
      if (sameToken(digest, entry.digest)) tenant = entry.tenant;
    }
    return tenant;
  }
}
