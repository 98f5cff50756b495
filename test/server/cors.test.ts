import { startTestServer, type TestServer } from '../support/testServer';

/** What a browser sends before an Apollo Client 4 request with client awareness and W3C tracing on. */
const APOLLO_CLIENT_PREFLIGHT = {
  origin: 'https://app.example',
  'access-control-request-method': 'POST',
  'access-control-request-headers':
    'apollographql-client-name,apollographql-client-version,authorization,baggage,content-type,traceparent,tracestate',
};

describe('CORS that browser clients pass', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { CORS_ORIGINS: 'https://app.example' } });
  });
  afterAll(() => t.close());

  it("allows every header Apollo Client's preflight names, and lets the browser cache the answer", async () => {
    const res = await fetch(t.server.url, { method: 'OPTIONS', headers: APOLLO_CLIENT_PREFLIGHT });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const allowed = res.headers
      .get('access-control-allow-headers')!
      .split(',')
      .map((h) => h.trim());
    expect(allowed).toEqual(
      expect.arrayContaining(APOLLO_CLIENT_PREFLIGHT['access-control-request-headers'].split(',')),
    );
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThanOrEqual(600);
    expect(res.headers.get('vary')).toMatch(/Origin/);
    expect(res.headers.get('vary')).toMatch(/Access-Control-Request-Headers/);
  });

  it('falls back to its own list when the requested headers are not a header list', async () => {
    const res = await fetch(t.server.url, {
      method: 'OPTIONS',
      headers: { ...APOLLO_CLIENT_PREFLIGHT, 'access-control-request-headers': 'content-type; x-evil="1"' },
    });
    expect(res.headers.get('access-control-allow-headers')).toMatch(/^content-type, authorization, idempotency-key/);
  });

  it('varies every answer by Origin, whether or not the origin is allowed', async () => {
    for (const origin of ['https://app.example', 'https://evil.example', undefined]) {
      const res = await fetch(t.server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
        body: JSON.stringify({ query: '{ voices(language: EN) { id } }' }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('vary')).toMatch(/Origin/);
    }
  });
});

describe('CORS open to every origin (the development default)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it('answers any origin with * and still varies by Origin', async () => {
    const res = await fetch(t.server.url, {
      method: 'OPTIONS',
      headers: { ...APOLLO_CLIENT_PREFLIGHT, origin: 'http://localhost:5173' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toContain('traceparent');
    expect(res.headers.get('vary')).toMatch(/Origin/);
  });
});
