import { ConfigError, loadConfig } from '../../src/config';

describe('configuration', () => {
  it('needs nothing: simulated upstream, embedded SQLite, port 4000, open single tenant', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: '0.0.0.0',
      databaseUrl: 'file:./data/lipsync.db',
      redisUrl: null,
      authTokens: null,
      corsOrigins: '*',
      introspection: true,
      upstream: { baseUrl: null, auth: null, timeoutMs: 30000, rateLimitRps: 10 },
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads both auth styles', () => {
    expect(loadConfig({ KLING_BASE_URL: 'https://agg.example/kling/', KLING_API_KEY: 'k' }).upstream).toMatchObject({
      baseUrl: 'https://agg.example/kling',
      auth: { kind: 'apiKey', apiKey: 'k' },
    });
    expect(
      loadConfig({ KLING_BASE_URL: 'https://api-singapore.klingai.com', KLING_ACCESS_KEY: 'a', KLING_SECRET_KEY: 's' }).upstream.auth,
    ).toEqual({ kind: 'jwt', accessKey: 'a', secretKey: 's' });
  });

  it('reads client tokens as tenant=token pairs', () => {
    const config = loadConfig({ AUTH_TOKENS: 'acme=t1, globex=t2' });
    expect([...config.authTokens!.entries()]).toEqual([
      ['t1', 'acme'],
      ['t2', 'globex'],
    ]);
  });

  it('is strict in production: no introspection, no CORS unless configured', () => {
    const config = loadConfig({ NODE_ENV: 'production' });
    expect(config).toMatchObject({ production: true, introspection: false, corsOrigins: [] });
    expect(loadConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }).introspection).toBe(true);
  });

  it.each([
    [{ KLING_BASE_URL: 'not a url', KLING_API_KEY: 'k' }, 'KLING_BASE_URL'],
    [{ KLING_BASE_URL: 'ftp://x.example', KLING_API_KEY: 'k' }, 'KLING_BASE_URL'],
    [{ KLING_BASE_URL: 'https://x.example', KLING_ACCESS_KEY: 'a' }, 'KLING_SECRET_KEY'],
    [{ KLING_BASE_URL: 'https://x.example', KLING_SECRET_KEY: 's' }, 'KLING_ACCESS_KEY'],
    [{ KLING_API_KEY: 'k' }, 'KLING_BASE_URL'],
    [{ KLING_BASE_URL: 'https://x.example' }, 'KLING_API_KEY'],
    [{ KLING_BASE_URL: 'https://x.example', KLING_API_KEY: 'k', KLING_ACCESS_KEY: 'a', KLING_SECRET_KEY: 's' }, 'KLING_API_KEY'],
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ KLING_TIMEOUT_MS: '-5' }, 'KLING_TIMEOUT_MS'],
    [{ KLING_RATE_LIMIT_RPS: 'fast' }, 'KLING_RATE_LIMIT_RPS'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ AUTH_TOKENS: 'no-equals-sign' }, 'AUTH_TOKENS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ PUBLIC_URL: 'example.com' }, 'PUBLIC_URL'],
  ])('rejects %j naming %s, in one line without secrets', (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env as NodeJS.ProcessEnv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect((error as ConfigError).variable).toBe(variable);
    expect(message).toContain(variable);
    expect(message).not.toContain('\n');
    for (const secret of ['k', 's', 'a'].map((v) => `=${v}`)) expect(message).not.toContain(secret);
  });
});
