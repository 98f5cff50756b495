import { describe, expect, it } from '@jest/globals';
import { FAKE_KLING_API_KEY } from '../support/fakeKling';
import { UUID, clientFor, useFakeWithClient, textToVideoBody, upstreamFailure } from './support';

/** docs/kling.md "Error codes" → the contract's error codes, read side (reads retry what is retryable). */
const FAMILIES: Array<[code: number, httpStatus: number, errorCode: string, retryable: boolean]> = [
  [1000, 401, 'UPSTREAM_AUTH_FAILED', false],
  [1001, 401, 'UPSTREAM_AUTH_FAILED', false],
  [1002, 401, 'UPSTREAM_AUTH_FAILED', false],
  [1003, 401, 'UPSTREAM_AUTH_FAILED', false],
  [1004, 401, 'UPSTREAM_AUTH_FAILED', false],
  [1100, 429, 'UPSTREAM_QUOTA_EXHAUSTED', false],
  [1101, 429, 'UPSTREAM_QUOTA_EXHAUSTED', false],
  [1102, 429, 'UPSTREAM_QUOTA_EXHAUSTED', false],
  [1103, 403, 'UPSTREAM_FORBIDDEN', false],
  [1200, 400, 'BAD_USER_INPUT', false],
  [1201, 400, 'BAD_USER_INPUT', false],
  [1202, 404, 'NOT_FOUND', false],
  [1203, 404, 'NOT_FOUND', false],
  [1300, 400, 'CONTENT_REJECTED', false],
  [1301, 400, 'CONTENT_REJECTED', false],
  [1302, 429, 'RATE_LIMITED', true],
  [1303, 429, 'RATE_LIMITED', true],
  [1304, 429, 'UPSTREAM_FORBIDDEN', false],
  [5000, 500, 'UPSTREAM_UNAVAILABLE', true],
  [5001, 503, 'UPSTREAM_UNAVAILABLE', true],
  [5002, 504, 'UPSTREAM_UNAVAILABLE', true],
];

describe('KlingClient error families', () => {
  const setup = useFakeWithClient();

  it.each(FAMILIES)('code %i (HTTP %i) → %s, retryable %s', async (code, httpStatus, errorCode, retryable) => {
    setup.fake.inject({ code }, { times: Infinity });
    const error = await upstreamFailure(setup.client.getLipSync('817067112967086149'));

    expect(error.code).toBe(errorCode);
    expect(error.retryable).toBe(retryable);
    expect(error.extensions).toMatchObject({ code: errorCode, retryable, upstream: error.upstream });
    expect(error.upstream).toEqual({
      httpStatus,
      code,
      message: expect.any(String),
      requestId: expect.stringMatching(UUID),
    });
    expect(error.message).toMatch(new RegExp(`^Kling (rejected|failed) the request \\(code ${code}\\): \\S`));
    expect(setup.fake.count('get')).toBe(retryable ? 3 : 1);
  });

  it('never passes on upstream HTML, the key, or an endless message', async () => {
    const message = `<b>bad</b> key ${FAKE_KLING_API_KEY} ${'x'.repeat(1000)}`;
    setup.fake.inject({ code: 1201, message });
    const error = await upstreamFailure(setup.client.createLipSync(textToVideoBody()));

    for (const text of [error.message, error.upstream.message]) {
      expect(text).not.toMatch(/[<>]/);
      expect(text).not.toContain(FAKE_KLING_API_KEY);
    }
    expect(error.upstream.message).toContain('[redacted]');
    expect(error.upstream.message.length).toBeLessThanOrEqual(300);
  });

  it('tells which failures may have created a task', async () => {
    for (const [code, outcomeUnknown] of [
      [1201, false],
      [1302, false],
      [5000, true],
      [5001, false],
      [5002, true],
    ] as const) {
      setup.fake.inject({ code }, { times: Infinity });
      const error = await upstreamFailure(setup.client.getLipSync('817067112967086149'));
      expect([code, error.outcomeUnknown]).toEqual([code, outcomeUnknown]);
      setup.fake.reset();
    }
  });

  it('answers wrong credentials with UPSTREAM_AUTH_FAILED without retrying', async () => {
    const wrong = clientFor(setup.fake, { auth: { kind: 'apiKey', apiKey: 'wrong-key' } });
    const error = await upstreamFailure(wrong.createLipSync(textToVideoBody()));
    await wrong.close();

    expect(error.code).toBe('UPSTREAM_AUTH_FAILED');
    expect(error.upstream.code).toBe(1000);
    expect(error.message).not.toContain('wrong-key');
    expect(setup.fake.count('create')).toBe(1);
  });
});
