import { retryDelayMs } from '../../src/services/webhooks/retrySchedule';

/** The schedule the README promises: about 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then hourly, ±20 % jitter. */
describe('webhook retry schedule', () => {
  const MINUTE = 60_000;
  const nominal = [5_000, 30_000, 2 * MINUTE, 10 * MINUTE, 30 * MINUTE, 60 * MINUTE, 60 * MINUTE, 60 * MINUTE];

  it('waits the nominal delays at the middle of the jitter, scaled by the first delay', () => {
    expect(nominal.map((_, i) => retryDelayMs(i + 1, 5_000, () => 0.5))).toEqual(nominal);
    expect(retryDelayMs(2, 100, () => 0.5)).toBe(600);
  });

  it('jitters each delay by at most 20 % either way', () => {
    nominal.forEach((delay, i) => {
      expect(retryDelayMs(i + 1, 5_000, () => 0)).toBe(delay * 0.8);
      expect(retryDelayMs(i + 1, 5_000, () => 1)).toBe(delay * 1.2);
    });
  });
});
