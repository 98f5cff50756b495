import { ConfigError, loadConfig } from '../../src/config';

describe('webhook configuration', () => {
  it('defaults to a 24 h overlap and age, 10 s attempts, 5 s first retry, 1 s scans, no secret', () => {
    expect(loadConfig({}).webhooks).toEqual({
      secret: null,
      rotationOverlapMs: 24 * 3_600_000,
      maxAgeMs: 24 * 3_600_000,
      timeoutMs: 10_000,
      retryBaseMs: 5_000,
      scanIntervalMs: 1_000,
    });
  });

  it.each([
    ['WEBHOOK_SECRET', 'too-short', 'WEBHOOK_SECRET must be at least 32 characters'],
    ['WEBHOOK_MAX_AGE_HOURS', '0', 'WEBHOOK_MAX_AGE_HOURS must be a positive number'],
    ['WEBHOOK_ROTATION_OVERLAP_HOURS', 'a day', 'WEBHOOK_ROTATION_OVERLAP_HOURS must be a positive number'],
    ['WEBHOOK_TIMEOUT_MS', '1.5', 'WEBHOOK_TIMEOUT_MS must be a whole number'],
  ])('stops start-up on a bad %s with one line naming it', (variable, value, message) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(
      new ConfigError(variable, message.slice(variable.length + 1)),
    );
  });
});
