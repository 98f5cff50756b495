import { waitFor } from '../support/childServer';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

const scrape = async (t: TestServer, headers: Record<string, string> = {}) => {
  const res = await fetch(`${t.server.origin}/metrics`, { headers });
  return { status: res.status, text: await res.text() };
};

/** Distinct values of the `operation` label in graphql_operations_total. */
const operationLabels = (text: string) =>
  new Set([...text.matchAll(/^graphql_operations_total\{operation="([^"]*)"/gm)].map((m) => m[1]));

describe('metrics stay bounded whatever clients name their operations', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it('10 operations with 100 KB names leave /metrics small and count them as `other`', async () => {
    const baseline = (await scrape(t)).text.length;
    for (let i = 0; i < 10; i++) {
      const name = `Q${i}${'x'.repeat(100 * 1024)}`;
      const answer = await t.client.request(`query ${name} { voices(language: EN) { id } }`);
      expect(answer.body.errors).toBeUndefined();
    }
    const { text } = await scrape(t);
    // Before the cap, these ten names grew the scrape by megabytes (one histogram per name); now a few lines.
    expect(text.length).toBeLessThan(baseline + 20 * 1024);
    expect(text).not.toContain('x'.repeat(100));
    expect(text).toMatch(/graphql_operations_total\{operation="other",outcome="success"\} 10/);
    expect(t.logs()).not.toContain('x'.repeat(100));
  });

  it('gives at most 200 names a label of their own; the rest share `other`', async () => {
    for (let i = 0; i < 230; i++) await t.client.request(`query Distinct${i} { voices(language: ZH) { id } }`);
    const labels = operationLabels((await scrape(t)).text);
    expect(labels.size).toBeLessThanOrEqual(201); // 200 names + other
    expect(labels.has('other')).toBe(true);
    expect(labels.has('Distinct0')).toBe(true);
    expect(labels.has('Distinct229')).toBe(false);
  });
});

describe('lipsync_tasks_total is counted on its own timer, never by a scrape', () => {
  it('a scrape reads the last sample: tasks created after it do not show until the timer counts again', async () => {
    const t = await startTestServer({ env: { TASK_COUNT_INTERVAL_MS: '3600000' } }); // one count at start, the next in an hour
    try {
      for (let i = 0; i < 3; i++)
        expect((await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT })).body.errors).toBeUndefined();
      expect(Object.values(await t.server.store.countByState()).reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(3);
      for (let i = 0; i < 3; i++) expect((await scrape(t)).text).not.toMatch(/^lipsync_tasks_total\{/m);
    } finally {
      await t.close();
    }
  });

  it('the timer brings the counts up to date', async () => {
    const t = await startTestServer({ env: { TASK_COUNT_INTERVAL_MS: '100' } });
    try {
      await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
      await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
      await waitFor('two tasks counted', async () => {
        const counted = [...(await scrape(t)).text.matchAll(/^lipsync_tasks_total\{status="[^"]+"\} (\d+)/gm)].map(
          (m) => Number(m[1]),
        );
        return counted.reduce((a, b) => a + b, 0) === 2;
      });
    } finally {
      await t.close();
    }
  });
});

describe('/metrics behind METRICS_TOKEN', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { METRICS_TOKEN: 'scrape-token-4c1e' } });
  });
  afterAll(() => t.close());

  it('answers 401 without the token or with a wrong one, 200 with it', async () => {
    for (const headers of <Array<Record<string, string>>>[
      {},
      { authorization: 'Bearer wrong' },
      { authorization: 'Bearer scrape-token-4c1f' },
      { authorization: `Bearer ${'y'.repeat(5000)}` },
      { authorization: 'Basic scrape-token-4c1e' },
    ]) {
      const answer = await scrape(t, headers);
      expect(answer.status).toBe(401);
      expect(answer.text).not.toContain('process_cpu_seconds_total');
      expect(answer.text).not.toContain('scrape-token');
    }
    const ok = await scrape(t, { authorization: 'Bearer scrape-token-4c1e' });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('process_cpu_seconds_total');
  });

  it('leaves /healthz and GraphQL open to their own rules', async () => {
    expect((await fetch(`${t.server.origin}/healthz`)).status).toBe(200);
    expect((await t.client.request('{ voices(language: EN) { id } }')).body.errors).toBeUndefined();
  });
});
