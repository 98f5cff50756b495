import { describe, expect, it } from '@jest/globals';
import { ErrorCode, UpstreamError } from '../../src/errors';
import { transportError } from '../../src/upstream/upstreamErrors';
import { backoffMs } from '../../src/upstream/retryPolicy';

/**
 * The retry delay, exactly: written to kill mutants that survived `npm run mutation` (docs/testing.md),
 * since the client tests only see that a retry happens, not how long it waited.
 */
const unavailable = transportError({ kind: 'reset', cause: 'ECONNRESET' });
const rateLimited = new UpstreamError(
  ErrorCode.RATE_LIMITED,
  'too many requests',
  { httpStatus: 429, code: 1302, message: 'too many requests', requestId: null },
  true,
);

describe('backoffMs', () => {
  it('doubles per attempt, with jitter from half to one and a half times', () => {
    expect(backoffMs(1, 200, unavailable, () => 0.5)).toBe(200);
    expect(backoffMs(2, 200, unavailable, () => 0.5)).toBe(400);
    expect(backoffMs(3, 200, unavailable, () => 0.5)).toBe(800);
    expect(backoffMs(3, 200, unavailable, () => 0)).toBe(400);
    expect(backoffMs(3, 200, unavailable, () => 0.999)).toBe(1_199);
  });

  it('waits at least the base delay after a rate-limited answer, however the jitter falls', () => {
    expect(backoffMs(1, 1_000, rateLimited, () => 0)).toBe(1_000);
    expect(backoffMs(2, 1_000, rateLimited, () => 0.5)).toBe(2_000);
    expect(backoffMs(1, 1_000, unavailable, () => 0)).toBe(500); // the floor is for rate limits only
  });
});

describe('transportError for a non-JSON answer (a gateway page)', () => {
  it.each([
    [400, false],
    [404, false],
    [429, true],
    [499, false],
    [500, true],
    [502, true],
  ])('HTTP %i: retryable %s; a 4xx never reached Kling, anything else may have', (status, retryable) => {
    const error = transportError({ kind: 'non_json', httpStatus: status, detail: 'an HTML page' });
    expect([error.code, error.retryable, error.outcomeUnknown]).toEqual([
      'UPSTREAM_UNAVAILABLE',
      retryable,
      status >= 500,
    ]);
  });
});
