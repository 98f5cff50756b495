import { GraphQLError } from 'graphql';
import type { StoredError, UpstreamErrorInfo } from './domain/task';

/** The contract's error codes (docs/api.md, "Answers and errors"). */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  NOT_FOUND: 'NOT_FOUND',
  UPSTREAM_AUTH_FAILED: 'UPSTREAM_AUTH_FAILED',
  UPSTREAM_QUOTA_EXHAUSTED: 'UPSTREAM_QUOTA_EXHAUSTED',
  UPSTREAM_FORBIDDEN: 'UPSTREAM_FORBIDDEN',
  CONTENT_REJECTED: 'CONTENT_REJECTED',
  RATE_LIMITED: 'RATE_LIMITED',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  UPSTREAM_TIMEOUT: 'UPSTREAM_TIMEOUT',
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface FieldError {
  field: string;
  message: string;
}

/** Invalid input: always names every failing field. */
export class BadUserInputError extends GraphQLError {
  constructor(
    readonly validationErrors: FieldError[],
    message?: string,
  ) {
    super(message ?? `Invalid input: ${validationErrors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, {
      extensions: { code: ErrorCode.BAD_USER_INPUT, validationErrors },
    });
  }
}

export class UnauthenticatedError extends GraphQLError {
  constructor(message = 'A valid access token is required: send Authorization: Bearer <token>') {
    super(message, { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } } });
  }
}

export class NotFoundError extends GraphQLError {
  constructor(what: string) {
    super(`${what} not found`, { extensions: { code: ErrorCode.NOT_FOUND } });
  }
}

/** This server's own limit was hit (not the upstream's). */
export class RateLimitedError extends GraphQLError {
  /** `retryAfterSeconds`: when the caller's budget has room again, if known */
  constructor(message: string, retryAfterSeconds?: number) {
    super(message, {
      extensions: {
        code: ErrorCode.RATE_LIMITED,
        retryable: true,
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      },
    });
  }
}

/** The tenant's own unit budget (TENANT_MONTHLY_UNITS) leaves no room: nothing was stored or sent upstream. */
export class QuotaExceededError extends GraphQLError {
  constructor(message: string, details: Record<string, unknown>) {
    super(message, { extensions: { code: ErrorCode.QUOTA_EXCEEDED, retryable: false, ...details } });
  }
}

/**
 * Anything the upstream (or the road to it) did wrong. `code` is the contract code it maps to;
 * `upstream` is what the caller needs to talk to upstream support. Never carries raw HTML or secrets.
 */
export class UpstreamError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly upstream: UpstreamErrorInfo,
    readonly retryable: boolean,
    /**
     * true when the request may have reached the upstream and been acted on (timeout, reset after sending,
     * 5000/5002): a create that fails this way must be reconciled, never assumed lost or re-sent blindly.
     */
    readonly outcomeUnknown = false,
  ) {
    super(message, { extensions: { code, retryable, upstream } });
  }

  toStored(): StoredError {
    return { code: this.code, message: this.message, retryable: this.retryable, upstream: this.upstream };
  }
}

/** Rebuilds the error a stored failed submission ended with, so an idempotent retry sees the same answer. */
export function errorFromStored(stored: StoredError): GraphQLError {
  if (stored.upstream) {
    return new UpstreamError(stored.code as ErrorCode, stored.message, stored.upstream, stored.retryable);
  }
  return new GraphQLError(stored.message, { extensions: { code: stored.code, retryable: stored.retryable } });
}

interface UpstreamCodeRule {
  from: number;
  to: number;
  code: ErrorCode;
  /** retryable for reads (and for creates only when `createRetryable`) */
  retryable: boolean;
  createRetryable: boolean;
}

/** docs/kling.md, "Error codes": branch on the envelope code, not the HTTP status. */
const UPSTREAM_CODE_RULES: readonly UpstreamCodeRule[] = [
  { from: 1000, to: 1004, code: ErrorCode.UPSTREAM_AUTH_FAILED, retryable: false, createRetryable: false },
  { from: 1100, to: 1102, code: ErrorCode.UPSTREAM_QUOTA_EXHAUSTED, retryable: false, createRetryable: false },
  { from: 1103, to: 1103, code: ErrorCode.UPSTREAM_FORBIDDEN, retryable: false, createRetryable: false },
  { from: 1200, to: 1201, code: ErrorCode.BAD_USER_INPUT, retryable: false, createRetryable: false },
  { from: 1202, to: 1203, code: ErrorCode.NOT_FOUND, retryable: false, createRetryable: false },
  { from: 1300, to: 1301, code: ErrorCode.CONTENT_REJECTED, retryable: false, createRetryable: false },
  { from: 1302, to: 1303, code: ErrorCode.RATE_LIMITED, retryable: true, createRetryable: true },
  { from: 1304, to: 1304, code: ErrorCode.UPSTREAM_FORBIDDEN, retryable: false, createRetryable: false },
  { from: 5000, to: 5000, code: ErrorCode.UPSTREAM_UNAVAILABLE, retryable: true, createRetryable: false },
  { from: 5001, to: 5001, code: ErrorCode.UPSTREAM_UNAVAILABLE, retryable: true, createRetryable: true },
  { from: 5002, to: 5002, code: ErrorCode.UPSTREAM_UNAVAILABLE, retryable: true, createRetryable: false },
];

export interface UpstreamCodeMapping {
  code: ErrorCode;
  retryable: boolean;
  createRetryable: boolean;
}

/** Maps an upstream envelope code to the contract; unknown codes are treated as an upstream failure. */
export function mapUpstreamCode(upstreamCode: number, httpStatus: number | null): UpstreamCodeMapping {
  const rule = UPSTREAM_CODE_RULES.find((r) => upstreamCode >= r.from && upstreamCode <= r.to);
  if (rule) return { code: rule.code, retryable: rule.retryable, createRetryable: rule.createRetryable };
  if (httpStatus !== null && httpStatus >= 400 && httpStatus < 500) {
    return { code: ErrorCode.BAD_USER_INPUT, retryable: false, createRetryable: false };
  }
  return { code: ErrorCode.UPSTREAM_UNAVAILABLE, retryable: true, createRetryable: false };
}
