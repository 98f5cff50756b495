import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config';
import { waitFor } from '../support/childServer';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

const TASK_QUERY = /* GraphQL */ `query Task($id: ID!) { lipSyncTask(id: $id) { id status } }`;

describe('circuit breaker around Kling', () => {
  const OPEN_MS = 1_000;
  let t: TestServer;
  beforeAll(async () => {
    // the default threshold (10 outages in a row within 30 s), a short pause so the test can see it close again
    t = await startTestServer({ env: { KLING_TIMEOUT_MS: '300', KLING_BREAKER_OPEN_MS: String(OPEN_MS) } });
  });
  afterAll(() => t.close());

  const create = async () => (await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT })).body;

  it('opens after 10 outages, then refuses creates at once without calling Kling or leaving a submitting row', async () => {
    t.fake.inject({ html: 502 }, { times: Infinity });
    for (let i = 0; i < 10; i++) {
      const body = await create();
      expect(body.errors?.[0].extensions).toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        upstream: { httpStatus: 502 },
      });
    }
    const sent = t.fake.count('create');
    expect(sent).toBe(10);
    const before = await t.server.store.countByState();

    const body = await create();

    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true });
    expect(body.errors?.[0].message).toMatch(/paused/);
    expect(t.fake.count('create')).toBe(sent);
    const after = await t.server.store.countByState();
    // refused before sending: a definite (retryable) failure, not a row for the reconciler to chase
    expect([after.submitting, (after.submit_failed ?? 0) - (before.submit_failed ?? 0)]).toEqual([
      before.submitting,
      1,
    ]);
    expect(t.logs()).toContain('circuit open');
  });

  it('lets one trial through after the pause and closes when it succeeds', async () => {
    t.fake.reset();
    const body = await waitFor(
      'a create to go through once the circuit half-opens',
      async () => {
        const answer = await create();
        return answer.errors ? undefined : answer;
      },
      15_000,
      100,
    );
    expect(body.data?.createLipSync).toMatchObject({ status: 'SUBMITTED' });
    for (let i = 0; i < 3; i++) expect((await create()).errors).toBeUndefined();
    expect(t.logs()).toContain('circuit closed');
  });
});

describe('breaker configuration', () => {
  it('defaults to 10 outages and a 30 s pause, and refuses a pause over 30 s naming the variable', () => {
    expect(loadConfig({}).upstream.breaker).toEqual({ failures: 10, halfOpenAfterMs: 30_000 });
    expect(() => loadConfig({ KLING_BREAKER_OPEN_MS: '60000' })).toThrow(
      /KLING_BREAKER_OPEN_MS must be between 1 and 30000/,
    );
    expect(() => loadConfig({ KLING_BREAKER_FAILURES: 'many' })).toThrow(
      /KLING_BREAKER_FAILURES must be a whole number/,
    );
  });
});

describe('a read of a live task while Kling hangs', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { KLING_TIMEOUT_MS: '8000' } });
  });
  afterAll(async () => {
    await t.fake.close(); // ends the hanging answers, so the server's shutdown does not wait them out
    await t.close();
  });

  it('answers the stored state after at most about 2 s instead of waiting out the upstream', async () => {
    const created = (await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT })).body.data?.createLipSync as {
      id: string;
      status: string;
    };
    t.fake.inject({ hang: true }, { endpoint: 'get', times: Infinity });
    await waitFor('a GET to hang', () => t.fake.count('get') > 0, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300)); // past TASK_FRESHNESS_MS: the read must ask Kling

    const started = Date.now();
    const res = await t.client.request(TASK_QUERY, { id: created.id });
    const elapsed = Date.now() - started;

    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.lipSyncTask).toEqual({ id: created.id, status: created.status });
    // it did wait for the refresh (so the 2 s budget is what ended the wait) ...
    expect(elapsed).toBeGreaterThanOrEqual(1_500);
    // ... and not for the upstream: one try alone would take 8 s, three with backoff over 24 s
    expect(elapsed).toBeLessThan(10_000);
  });
});
