import { createHash } from 'node:crypto';
import { waitFor } from '../support/childServer';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

describe('health, readiness and metrics', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { TASK_COUNT_INTERVAL_MS: '50' } });
  });
  afterAll(() => t.close());

  it('answers /healthz and /readyz', async () => {
    const health = await fetch(`${t.server.origin}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${t.server.origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('exposes the listed Prometheus series after a create', async () => {
    await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
    await t.client.request('query Voices { voices { id } }');
    // Task counts are sampled on their own timer (TASK_COUNT_INTERVAL_MS), not by the scrape.
    await waitFor('the task count to include the create', async () =>
      (await (await fetch(`${t.server.origin}/metrics`)).text()).includes('lipsync_tasks_total{status="submitted"}'),
    );
    const res = await fetch(`${t.server.origin}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    for (const series of [
      'graphql_operations_total{operation="Create",outcome="success"} 1',
      'graphql_operations_total{operation="Voices",outcome="success"} 1',
      'graphql_operation_duration_seconds_bucket{',
      'upstream_requests_total{endpoint="create",code="0"} 1',
      'upstream_request_duration_seconds_bucket{',
      'lipsync_tasks_total{status="submitted"}',
      'subscriptions_active 0',
      'watchers_active',
      'process_cpu_seconds_total',
    ]) {
      expect(text).toContain(series);
    }
  });

  it('labels unnamed operations as anonymous', async () => {
    await t.client.request('{ voices { id } }');
    const text = await (await fetch(`${t.server.origin}/metrics`)).text();
    expect(text).toContain('graphql_operations_total{operation="anonymous",outcome="success"}');
  });

  it('answers unknown paths with 404', async () => {
    expect((await fetch(`${t.server.origin}/nope`)).status).toBe(404);
  });

  it('reports 503 naming the store when the store stops answering', async () => {
    await t.server.store.close();
    const res = await fetch(`${t.server.origin}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unavailable', down: ['store'] });
    expect((await fetch(`${t.server.origin}/healthz`)).status).toBe(200);
  });
});

describe('client tokens and tenants (AUTH_TOKENS)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { AUTH_TOKENS: 'acme=tok-acme-123,globex=tok-globex-456' } });
  });
  afterAll(() => t.close());

  const acme = () => t.client.withHeaders({ authorization: 'Bearer tok-acme-123' });
  const globex = () => t.client.withHeaders({ authorization: 'Bearer tok-globex-456' });

  it('refuses a request without a token: 401 UNAUTHENTICATED, no upstream call', async () => {
    const res = await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
    expect(res.status).toBe(401);
    expect(res.body.errors![0].extensions?.code).toBe('UNAUTHENTICATED');
    const wrong = await t.client.request('{ voices { id } }', {}, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.body)).not.toContain('nope');
    expect(t.fake.count('create')).toBe(0);
  });

  it("keeps each tenant's tasks to itself", async () => {
    const created = await acme().request(CREATE_MUTATION, { input: TEXT_INPUT });
    const id = created.body.data!.createLipSync.id;
    const own = await acme().request('query($id: ID!) { lipSyncTask(id: $id) { id } }', { id });
    expect(own.body.data!.lipSyncTask).toEqual({ id });
    const other = await globex().request('query($id: ID!) { lipSyncTask(id: $id) { id } }', { id });
    expect(other.body.data!.lipSyncTask).toBeNull();
    const list = await globex().request('{ lipSyncTasks { edges { node { id } } } }');
    expect(list.body.data!.lipSyncTasks.edges).toEqual([]);
  });

  it('needs the token on WebSocket connections too', async () => {
    const anonymous = t.client.ws();
    const outcome = await new Promise<string>((resolve) => {
      anonymous.subscribe(
        { query: 'subscription { lipSyncTaskUpdated(id: "1") { id } }' },
        {
          next: () => resolve('next'),
          error: (e) => resolve(`closed ${(e as { code?: number }).code}`),
          complete: () => resolve('complete'),
        },
      );
    });
    await anonymous.dispose();
    expect(outcome).toBe('closed 4403');
  });

  it('never writes client tokens to the log', () => {
    expect(t.logs()).not.toContain('tok-acme-123');
    expect(t.logs()).not.toContain('tok-globex-456');
  });
});

describe('production mode', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { NODE_ENV: 'production', ALLOW_ANONYMOUS: 'true' } });
  });
  afterAll(() => t.close());

  it('refuses introspection and gives no field suggestions', async () => {
    const intro = await t.client.request('{ __schema { types { name } } }');
    expect(intro.body.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
    const typo = await t.client.request('{ lipSyncTsk(id: "1") { id } }');
    expect(JSON.stringify(typo.body)).not.toMatch(/Did you mean/);
  });

  it('refuses introspection over WebSocket too', async () => {
    const client = t.client.ws();
    const outcome = await new Promise<unknown>((resolve) => {
      client.subscribe(
        { query: '{ __schema { types { name } } }' },
        { next: resolve, error: resolve, complete: () => undefined },
      );
    });
    await client.dispose();
    expect(JSON.stringify(outcome)).toMatch(/introspection/i);
    expect(JSON.stringify(outcome)).not.toContain('LipSyncTask');
  });

  it('shows no landing page and sends no CORS headers by default', async () => {
    const page = await fetch(t.server.url, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('Apollo Sandbox');
    const cors = await fetch(t.server.url, { method: 'OPTIONS', headers: { origin: 'https://app.example' } });
    expect(cors.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('development conveniences', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { CORS_ORIGINS: 'https://app.example' } });
  });
  afterAll(() => t.close());

  it('serves Apollo Sandbox with the example operation at GET /graphql in a browser', async () => {
    const page = await fetch(t.server.url, { headers: { accept: 'text/html' } });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toMatch(/sandbox/i);
    expect(html).toContain('createLipSync');
  });

  it('answers CORS preflights for allowed origins only', async () => {
    const allowed = await fetch(t.server.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/idempotency-key/);
    const other = await fetch(t.server.url, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('runs queries over GET', async () => {
    const res = await fetch(`${t.server.url}?query=${encodeURIComponent('{ voices(language: ZH) { id } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { voices: unknown[] } }).data.voices.length).toBeGreaterThan(10);
  });

  it('supports automatic persisted queries', async () => {
    const query = '{ voices(language: EN) { id } }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    const post = (body: unknown) =>
      fetch(t.server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<any>);
    expect((await post({ extensions })).errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post({ query, extensions })).data.voices.length).toBeGreaterThan(10);
    expect((await post({ extensions })).data.voices.length).toBeGreaterThan(10);
  });

  it('marks finished tasks cacheable and live ones not', async () => {
    const created = await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
    const id = created.body.data!.createLipSync.id;
    const live = await t.client.request('query($id: ID!) { lipSyncTask(id: $id) { id status } }', { id });
    expect(live.headers.get('cache-control')).toBe('no-store');
    await new Promise((r) => setTimeout(r, 1200));
    const done = await t.client.request('query($id: ID!) { lipSyncTask(id: $id) { id status videos { url } } }', {
      id,
    });
    expect(done.body.data!.lipSyncTask.status).toBe('SUCCEEDED');
    expect(done.headers.get('cache-control')).toBe('max-age=3600, private');
  });
});

describe('log redaction', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      fake: { accessKey: 'ak-redaction', secretKey: 'sk-redaction-secret' },
      env: { LOG_LEVEL: 'trace', AUTH_TOKENS: 'acme=tok-redaction-789' },
    });
  });
  afterAll(() => t.close());

  it('keeps secret keys, JWTs, client tokens and audio out of the log, even at trace level', async () => {
    const audioFile = Buffer.from('RIFF-very-private-recording-bytes').toString('base64');
    const client = t.client.withHeaders({ authorization: 'Bearer tok-redaction-789' });
    const res = await client.request(CREATE_MUTATION, { input: { videoUrl: TEXT_INPUT.videoUrl, audioFile } });
    expect(res.body.errors).toBeUndefined();
    await client.request(CREATE_MUTATION, { input: { ...TEXT_INPUT, audioFile } }); // rejected input is logged too
    const jwtSent = String(t.fake.requests.find((r) => r.endpoint === 'create')!.headers.authorization).replace(
      'Bearer ',
      '',
    );
    const logs = t.logs();
    expect(logs).toContain('graphql operation');
    for (const secret of ['sk-redaction-secret', jwtSent, 'tok-redaction-789', audioFile]) {
      expect(logs).not.toContain(secret);
    }
  });
});
