import { ErrorCode, UpstreamError, mapUpstreamCode } from '../errors';
import type { UpstreamEndpoint } from '../metrics';
import { isPaidEndpoint } from './retryPolicy';

const MAX_UPSTREAM_TEXT = 300;
/** whole tags, then any stray bracket of a cut-off tag */
const MARKUP = /<[^>]*>|[<>]/g;

/**
 * Makes upstream-provided text safe to show a caller: no markup (a gateway's HTML page), no secret
 * the upstream might echo back, and short enough for an error message.
 */
export function sanitizeUpstreamText(text: unknown, secrets: readonly string[] = []): string {
  let clean = typeof text === 'string' ? text.replace(MARKUP, ' ') : '';
  for (const secret of secrets) {
    if (secret) clean = clean.split(secret).join('[redacted]');
  }
  clean = clean.replace(/\s+/g, ' ').trim();
  return clean.length > MAX_UPSTREAM_TEXT ? `${clean.slice(0, MAX_UPSTREAM_TEXT - 1)}…` : clean;
}

export interface KlingAnswerInfo {
  code: number;
  message: unknown;
  requestId: string | null;
  httpStatus: number | null;
}

/**
 * A Kling envelope with a non-zero code. The outcome is unknown exactly when a read may retry but a create
 * may not (5000, 5002, unknown server-side codes): the upstream may have created the task before failing.
 */
export function rejectedByKling(answer: KlingAnswerInfo, secrets: readonly string[] = []): UpstreamError {
  const mapping = mapUpstreamCode(answer.code, answer.httpStatus);
  const message = sanitizeUpstreamText(answer.message, secrets) || 'no message';
  const verb = answer.code >= 5000 ? 'failed' : 'rejected';
  return new UpstreamError(
    mapping.code,
    `Kling ${verb} the request (code ${answer.code}): ${message}`,
    { httpStatus: answer.httpStatus, code: answer.code, message, requestId: answer.requestId },
    mapping.retryable,
    mapping.retryable && !mapping.createRetryable,
  );
}

/** How the road to Kling failed when no envelope came back. */
export type TransportFailure =
  | { kind: 'timeout'; timeoutMs: number }
  /** the connection broke after it was made: the request may have been received and acted on */
  | { kind: 'reset'; cause: string }
  /** no connection was ever made: the upstream cannot have seen the request */
  | { kind: 'refused'; cause: string }
  /** an answer that is not a Kling envelope, e.g. a gateway's HTML error page */
  | { kind: 'non_json'; httpStatus: number; detail: string };

export function transportError(failure: TransportFailure): UpstreamError {
  switch (failure.kind) {
    case 'timeout': {
      const message = `Kling did not answer within ${failure.timeoutMs} ms`;
      return new UpstreamError(ErrorCode.UPSTREAM_TIMEOUT, message, info(null, message), true, true);
    }
    case 'reset': {
      const message = `The connection to Kling broke before an answer (${failure.cause})`;
      return new UpstreamError(ErrorCode.UPSTREAM_UNAVAILABLE, message, info(null, message), true, true);
    }
    case 'refused': {
      const message = `Could not connect to Kling (${failure.cause})`;
      return new UpstreamError(ErrorCode.UPSTREAM_UNAVAILABLE, message, info(null, message), true, false);
    }
    case 'non_json': {
      const status = failure.httpStatus;
      const message = `Kling answered HTTP ${status} with ${failure.detail}`;
      // A 4xx page comes from a gateway that refused to forward; anything else may have reached Kling.
      const rejectedByGateway = status >= 400 && status < 500;
      const retryable = !rejectedByGateway || status === 429;
      return new UpstreamError(
        ErrorCode.UPSTREAM_UNAVAILABLE,
        message,
        info(status, message),
        retryable,
        !rejectedByGateway,
      );
    }
  }
}

/**
 * A `code: 0` answer whose task cannot be trusted (unreadable, or about another task than the one asked for).
 * Nothing of it is written anywhere. A create answered so may still have made the task: its outcome is unknown.
 */
export function untrustedAnswer(endpoint: UpstreamEndpoint, problem: string, requestId: string | null): UpstreamError {
  const message = `Kling answered with a task that cannot be trusted: ${problem}`;
  return new UpstreamError(
    ErrorCode.UPSTREAM_UNAVAILABLE,
    message,
    { httpStatus: 200, code: null, message, requestId },
    true,
    isPaidEndpoint(endpoint),
  );
}

function info(httpStatus: number | null, message: string) {
  return { httpStatus, code: null, message, requestId: null };
}
