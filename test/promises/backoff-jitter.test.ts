import pino from 'pino';
import { Writable } from 'node:stream';
import { KlingClient } from '../../src/upstream/KlingClient';
import { startFakeKling, type FakeKling } from '../support/fakeKling';

/**
 * Retries wait base × 2^(attempt−1) × (0.5 … 1.5): ±50 % jitter, so instances that failed together do not
 * retry together (src/upstream/retryPolicy.ts). Observed through the client's behaviour: each retry it makes
 * is logged with the delay it then waits. No clock is read, so machine load cannot change the outcome.
 */
describe('retry backoff jitter', () => {
  let fake: FakeKling;
  beforeAll(async () => {
    fake = await startFakeKling();
  });
  afterAll(() => fake.close());

  it('spreads retry delays over base × 2^(attempt−1) ±50 %, on both sides of the base', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const BASE = 100;
    const CALLS = 40;
    // Every call fails on purpose: the circuit breaker (tested on its own) must not cut the retries short.
    const breaker = { failures: 1_000, halfOpenAfterMs: 1_000 };
    const client = new KlingClient({
      config: { ...fake.upstreamConfig(), breaker },
      retryDelayMs: BASE,
      log: pino({ level: 'warn' }, destination),
    });
    try {
      // Every read meets gateway errors only: each retries twice (3 attempts), then gives up.
      fake.inject({ html: 502 }, { endpoint: 'list', times: Infinity });
      const outcomes = await Promise.allSettled(Array.from({ length: CALLS }, () => client.listLipSync(1, 10)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toEqual([]);
    } finally {
      await client.close();
      fake.reset();
    }
    const delays = lines
      .map((line) => JSON.parse(line) as { msg: string; attempt: number; delayMs: number })
      .filter((entry) => entry.msg === 'retrying Kling request')
      .map((entry) => ({ attempt: entry.attempt, delayMs: entry.delayMs }));
    expect(delays).toHaveLength(2 * CALLS);
    // The second retry waits twice as long, with the same ±50 %.
    const second = delays.filter((d) => d.attempt === 2).map((d) => d.delayMs);
    expect(second).toHaveLength(CALLS);
    expect(Math.min(...second)).toBeGreaterThanOrEqual(2 * BASE * 0.5);
    expect(Math.max(...second)).toBeLessThanOrEqual(2 * BASE * 1.5);
    const values = delays.filter((d) => d.attempt === 1).map((d) => d.delayMs);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(BASE * 0.5);
    expect(Math.max(...values)).toBeLessThanOrEqual(BASE * 1.5);
    // Spread, not a constant: with 40 uniform draws, missing either outer fifth of the range has odds
    // of 0.8^40 ≈ 1e-4 per side; a delay without jitter (always 100) fails both.
    expect(Math.min(...values)).toBeLessThan(BASE * 0.7);
    expect(Math.max(...values)).toBeGreaterThan(BASE * 1.3);
  });
});
