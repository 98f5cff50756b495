import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Metrics } from '../../src/metrics';
import { KlingClient } from '../../src/upstream/KlingClient';
import type { RateLimiter } from '../../src/upstream/RateLimiter';
import { FAKE_KLING_API_KEY, type FakeKling, startFakeKling } from '../support/fakeKling';
import { clientFor, textToVideoBody, upstreamFailure } from './support';

/** Short, so the hang test is quick, yet far above a local round trip even on a loaded machine (150 ms was not). */
const TIMEOUT_MS = 1_000;

describe('KlingClient when the road to Kling fails', () => {
  let fake: FakeKling;
  let client: KlingClient;

  beforeAll(async () => {
    // Tasks stay 'submitted' for a minute: what a test reads back does not depend on how long it took.
    fake = await startFakeKling({ processingAfterMs: 60_000, succeedAfterMs: 120_000 });
    client = clientFor(fake, { timeoutMs: TIMEOUT_MS });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await client.close();
    await fake.close();
  });

  it('turns a gateway HTML 502 into UPSTREAM_UNAVAILABLE without the HTML', async () => {
    fake.inject({ html: 502 }, { times: Infinity });
    const error = await upstreamFailure(client.getLipSync('817067112967086149'));

    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.message).toBe('Kling answered HTTP 502 with a non-JSON body');
    expect(error.upstream).toEqual({ httpStatus: 502, code: null, message: error.message, requestId: null });
    expect([error.retryable, error.outcomeUnknown]).toEqual([true, true]);
    expect(fake.count('get')).toBe(3);
  });

  it('turns a reset connection into UPSTREAM_UNAVAILABLE whose outcome is unknown', async () => {
    // A fresh client: on a reused keep-alive socket a GET reset before any answer is sent once more at once
    // (a stale socket, see http-transport.test.ts), which would make the count 4.
    const fresh = clientFor(fake, { timeoutMs: TIMEOUT_MS });
    fake.inject({ reset: true }, { times: Infinity });
    const error = await upstreamFailure(fresh.getLipSync('817067112967086149'));
    await fresh.close();

    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect([error.retryable, error.outcomeUnknown, error.upstream.code]).toEqual([true, true, null]);
    expect(fake.count('get')).toBe(3);
  });

  it('gives up on a silent upstream after the configured timeout', async () => {
    fake.inject({ hang: true });
    const started = Date.now();
    const error = await upstreamFailure(client.createLipSync(textToVideoBody()));
    const elapsed = Date.now() - started;

    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(error.message).toContain(`${TIMEOUT_MS} ms`);
    expect([error.retryable, error.outcomeUnknown]).toEqual([true, true]);
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 3_000); // slack for a loaded machine; without the timeout it hangs for good
  });

  it('answers normally when the upstream is slow but within the timeout', async () => {
    fake.inject({ delayMs: TIMEOUT_MS / 3 });
    const answer = await client.createLipSync(textToVideoBody());
    expect(answer.data.task_status).toBe('submitted');
  });

  it('retries a rate-limited read, then succeeds', async () => {
    const { data } = await client.createLipSync(textToVideoBody());
    fake.inject({ code: 1302 }, { endpoint: 'get' });
    const answer = await client.getLipSync(data.task_id);

    expect(answer.data.task_id).toBe(data.task_id);
    expect(fake.count('get')).toBe(2);
  });

  it('hands a create refused with 1303 back at once, without retries: the queue waits for a slot instead', async () => {
    fake.inject({ code: 1303 }, { endpoint: 'create' });
    const error = await upstreamFailure(client.createLipSync(textToVideoBody({}, 'rec-rate-limited')));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.outcomeUnknown).toBe(false);
    expect(fake.count('create')).toBe(1);
    expect(fake.tasks.allTasks()).toHaveLength(0);
  });

  it('retries a create during maintenance (5001): Kling did not take it', async () => {
    fake.inject({ code: 5001 }, { endpoint: 'create', times: 2 });
    await client.createLipSync(textToVideoBody());
    expect(fake.count('create')).toBe(3);
  });

  it.each([
    ['timeout', { hang: true }, 'UPSTREAM_TIMEOUT'],
    ['a reset', { reset: true }, 'UPSTREAM_UNAVAILABLE'],
    ['HTML 502', { html: 502 }, 'UPSTREAM_UNAVAILABLE'],
    ['5000', { code: 5000 }, 'UPSTREAM_UNAVAILABLE'],
    ['5002', { code: 5002 }, 'UPSTREAM_UNAVAILABLE'],
  ] as const)('never re-sends a create after %s: a second task would cost money', async (_name, fault, errorCode) => {
    fake.inject(fault, { times: Infinity });
    const error = await upstreamFailure(client.createLipSync(textToVideoBody()));

    expect(error.code).toBe(errorCode);
    expect(error.outcomeUnknown).toBe(true);
    expect(fake.count('create')).toBe(1);
  });

  it('reports a create Kling accepted but never answered as a timeout with an unknown outcome', async () => {
    fake.inject({ acceptThenHang: true });
    const error = await upstreamFailure(client.createLipSync(textToVideoBody({}, 'rec-lost-answer')));

    expect([error.code, error.outcomeUnknown]).toEqual(['UPSTREAM_TIMEOUT', true]);
    expect(fake.count('create')).toBe(1);
    expect(fake.tasks.taskByExternalId('rec-lost-answer')?.task_status).toBe('submitted');
  });

  it('tries at most three times', async () => {
    fake.inject({ code: 1302 }, { times: Infinity });
    const error = await upstreamFailure(client.getLipSync('700000000000000001'));
    expect(error.code).toBe('RATE_LIMITED');
    expect(fake.count('get')).toBe(3);
  });

  it('waits for the limiter before every attempt and slows it down when rate-limited', async () => {
    let acquired = 0;
    const slowDowns: number[] = [];
    const limiter: RateLimiter = {
      acquire: async () => void (acquired += 1),
      slowDown: (ms) => void slowDowns.push(ms),
    };
    const limited = clientFor(fake, {}, { limiter, retryDelayMs: 20 });
    fake.inject({ code: 1302 }, { endpoint: 'list' });
    await limited.listLipSync(1, 30);
    await limited.close();

    expect(acquired).toBe(2);
    expect(slowDowns).toEqual([expect.any(Number)]);
    expect(slowDowns[0]).toBeGreaterThanOrEqual(20);
  });

  it('does not retry a gateway that refuses to forward (non-JSON 4xx)', async () => {
    fake.inject({ html: 404 }, { times: Infinity });
    const error = await upstreamFailure(client.createLipSync(textToVideoBody()));

    expect([error.code, error.retryable, error.outcomeUnknown]).toEqual(['UPSTREAM_UNAVAILABLE', false, false]);
    expect(fake.count('create')).toBe(1);
  });
});

describe('KlingClient when nothing listens', () => {
  it('retries even a create, since a refused connection never reached Kling', async () => {
    const port = await freePort();
    const metrics = new Metrics();
    const client = new KlingClient({
      config: {
        baseUrl: `http://127.0.0.1:${port}`,
        auth: { kind: 'apiKey', apiKey: FAKE_KLING_API_KEY },
        timeoutMs: 1000,
        rateLimitRps: 100,
        maxSockets: 2,
      },
      metrics,
      retryDelayMs: 5,
    });
    const error = await upstreamFailure(client.createLipSync(textToVideoBody()));
    await client.close();

    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.message).toBe('Could not connect to Kling (ECONNREFUSED)');
    expect([error.retryable, error.outcomeUnknown]).toEqual([true, false]);
    const samples = (await metrics.upstreamRequests.get()).values.map((v) => [
      v.labels.endpoint,
      v.labels.code,
      v.value,
    ]);
    expect(samples).toEqual([['create', 'refused', 3]]);
  });
});

/** A port that was free a moment ago and has nothing listening now. */
async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
