import jwt from 'jsonwebtoken';

const LIFETIME_SECONDS = 1800;
/** nbf in the past, so a server whose clock is slightly behind ours still accepts the token */
const NOT_BEFORE_SKEW_SECONDS = 5;
/** re-sign this long before expiry, so a token never expires on its way to the upstream */
const REFRESH_MARGIN_MS = 5 * 60_000;

export interface KlingTokenSignerOptions {
  accessKey: string;
  secretKey: string;
  /** epoch ms */
  now?: () => number;
}

/** Kling direct auth: an HS256 JWT (iss = access key), signed once and reused until it nears expiry. */
export class KlingTokenSigner {
  private cached: { token: string; expiresAtMs: number } | null = null;
  private readonly now: () => number;

  constructor(private readonly options: KlingTokenSignerOptions) {
    this.now = options.now ?? Date.now;
  }

  token(): string {
    const nowMs = this.now();
    if (!this.cached || this.cached.expiresAtMs - nowMs < REFRESH_MARGIN_MS) this.cached = this.sign(nowMs);
    return this.cached.token;
  }

  /** Drops the cached token (the upstream called it expired) and signs a new one. */
  refresh(): string {
    this.cached = null;
    return this.token();
  }

  private sign(nowMs: number): { token: string; expiresAtMs: number } {
    const nowSeconds = Math.floor(nowMs / 1000);
    const exp = nowSeconds + LIFETIME_SECONDS;
    const token = jwt.sign(
      { iss: this.options.accessKey, exp, nbf: nowSeconds - NOT_BEFORE_SKEW_SECONDS },
      this.options.secretKey,
      // Exactly the claims Kling documents: no iat, which jsonwebtoken would otherwise add from the real clock.
      { algorithm: 'HS256', header: { alg: 'HS256', typ: 'JWT' }, noTimestamp: true },
    );
    return { token, expiresAtMs: exp * 1000 };
  }
}
