import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

  it('reads the queue settings: no local cap, 24 h wait and a simulated limit of 3 by default', () => {
    const defaults = loadConfig({});
    expect(defaults.queue).toEqual({ maxConcurrent: null, maxWaitMs: 1440 * 60_000 });
    expect(defaults.upstream.simulatedMaxConcurrent).toBe(3);
    const set = loadConfig({
      KLING_MAX_CONCURRENT_TASKS: '5',
      QUEUE_MAX_WAIT_MINUTES: '30',
      SIMULATED_MAX_CONCURRENT: '7',
    });
    expect(set.queue).toEqual({ maxConcurrent: 5, maxWaitMs: 30 * 60_000 });
    expect(set.upstream.simulatedMaxConcurrent).toBe(7);
  });

  it('reads both auth styles', () => {
    expect(loadConfig({ KLING_BASE_URL: 'https://agg.example/kling/', KLING_API_KEY: 'k' }).upstream).toMatchObject({
      baseUrl: 'https://agg.example/kling',
      auth: { kind: 'apiKey', apiKey: 'k' },
    });
    expect(
      loadConfig({ KLING_BASE_URL: 'https://api-singapore.klingai.com', KLING_ACCESS_KEY: 'a', KLING_SECRET_KEY: 's' })
        .upstream.auth,
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
    const config = loadConfig({ NODE_ENV: 'production', ALLOW_ANONYMOUS: 'true' });
    expect(config).toMatchObject({ production: true, introspection: false, corsOrigins: [] });
    expect(
      loadConfig({ NODE_ENV: 'production', ALLOW_ANONYMOUS: 'true', GRAPHQL_INTROSPECTION: 'true' }).introspection,
    ).toBe(true);
  });

  it.each([
    [{ KLING_BASE_URL: 'not a url', KLING_API_KEY: 'k' }, 'KLING_BASE_URL'],
    [{ KLING_BASE_URL: 'ftp://x.example', KLING_API_KEY: 'k' }, 'KLING_BASE_URL'],
    [{ KLING_BASE_URL: 'https://x.example', KLING_ACCESS_KEY: 'a' }, 'KLING_SECRET_KEY'],
    [{ KLING_BASE_URL: 'https://x.example', KLING_SECRET_KEY: 's' }, 'KLING_ACCESS_KEY'],
    [{ KLING_API_KEY: 'k' }, 'KLING_BASE_URL'],
    [{ KLING_BASE_URL: 'https://x.example' }, 'KLING_API_KEY'],
    [
      { KLING_BASE_URL: 'https://x.example', KLING_API_KEY: 'k', KLING_ACCESS_KEY: 'a', KLING_SECRET_KEY: 's' },
      'KLING_API_KEY',
    ],
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ KLING_TIMEOUT_MS: '-5' }, 'KLING_TIMEOUT_MS'],
    [{ KLING_RATE_LIMIT_RPS: 'fast' }, 'KLING_RATE_LIMIT_RPS'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ AUTH_TOKENS: 'no-equals-sign' }, 'AUTH_TOKENS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ PUBLIC_URL: 'example.com' }, 'PUBLIC_URL'],
    [{ KLING_MAX_CONCURRENT_TASKS: '0' }, 'KLING_MAX_CONCURRENT_TASKS'],
    [{ KLING_MAX_CONCURRENT_TASKS: 'many' }, 'KLING_MAX_CONCURRENT_TASKS'],
    [{ QUEUE_MAX_WAIT_MINUTES: '-1' }, 'QUEUE_MAX_WAIT_MINUTES'],
    [{ SIMULATED_MAX_CONCURRENT: '1.5' }, 'SIMULATED_MAX_CONCURRENT'],
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

  describe('production hardening', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lipsync-config-'));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const tokenFile = (text: string) => {
      const file = path.join(dir, `tokens-${Math.random().toString(36).slice(2)}`);
      fs.writeFileSync(file, text);
      return file;
    };
    const failure = (env: NodeJS.ProcessEnv): ConfigError => {
      try {
        loadConfig(env);
      } catch (error) {
        if (error instanceof ConfigError) return error;
        throw error;
      }
      throw new Error('expected a ConfigError');
    };

    it('refuses to start in production without client tokens, naming AUTH_TOKENS and AUTH_TOKENS_FILE in one line', () => {
      const error = failure({ NODE_ENV: 'production' });
      expect(error.variable).toBe('AUTH_TOKENS');
      expect(error.message).toContain('AUTH_TOKENS_FILE');
      expect(error.message).toContain('ALLOW_ANONYMOUS=true');
      expect(error.message).not.toContain('\n');
      expect(loadConfig({ NODE_ENV: 'production', ALLOW_ANONYMOUS: 'true' }).authTokens).toBeNull();
      expect(loadConfig({ NODE_ENV: 'production', AUTH_TOKENS: 'acme=t1' }).authTokens!.get('t1')).toBe('acme');
      expect(loadConfig({}).authTokens).toBeNull(); // outside production, open by default as before
    });

    it('reads AUTH_TOKENS_FILE: one tenant=token a line, comments and blank lines skipped', () => {
      const file = tokenFile('# tenants\n\nacme=tok-1\r\n  globex = tok-2  \n# acme=old\n');
      const config = loadConfig({ AUTH_TOKENS_FILE: file, NODE_ENV: 'production' });
      expect([...config.authTokens!.entries()]).toEqual([
        ['tok-1', 'acme'],
        ['tok-2', 'globex'],
      ]);
    });

    it.each([
      ['a missing file', () => ({ AUTH_TOKENS_FILE: path.join(dir, 'absent') }), 'AUTH_TOKENS_FILE', /cannot be read/],
      [
        'a line without =',
        () => ({ AUTH_TOKENS_FILE: tokenFile('acme=t1\nsecret-without-tenant\n') }),
        'AUTH_TOKENS_FILE',
        /tenant=token/,
      ],
      ['an empty file', () => ({ AUTH_TOKENS_FILE: tokenFile('# nothing\n') }), 'AUTH_TOKENS_FILE', /at least one/],
      [
        'a token given twice in the file',
        () => ({ AUTH_TOKENS_FILE: tokenFile('acme=dup-secret\nglobex=dup-secret\n') }),
        'AUTH_TOKENS_FILE',
        /twice.*acme and globex/,
      ],
      [
        'a token given twice in AUTH_TOKENS',
        () => ({ AUTH_TOKENS: 'acme=dup-secret,globex=dup-secret' }),
        'AUTH_TOKENS',
        /twice.*acme and globex/,
      ],
      [
        'both token sources',
        () => ({ AUTH_TOKENS: 'acme=t1', AUTH_TOKENS_FILE: tokenFile('globex=t2\n') }),
        'AUTH_TOKENS',
        /AUTH_TOKENS_FILE/,
      ],
      ['ALLOW_ANONYMOUS=maybe', () => ({ ALLOW_ANONYMOUS: 'maybe' }), 'ALLOW_ANONYMOUS', /true/],
      ['FEDERATION_TRACES=yes', () => ({ FEDERATION_TRACES: 'yes' }), 'FEDERATION_TRACES', /true/],
      ['TASK_COUNT_INTERVAL_MS=0', () => ({ TASK_COUNT_INTERVAL_MS: '0' }), 'TASK_COUNT_INTERVAL_MS', /between/],
    ])('rejects %s, naming the variable without the token', (_what, env, variable, detail) => {
      const error = failure(env() as NodeJS.ProcessEnv);
      expect(error.variable).toBe(variable);
      expect(error.message).toMatch(detail);
      expect(error.message).not.toContain('dup-secret');
      expect(error.message).not.toContain('secret-without-tenant');
      expect(error.message).not.toContain('\n');
    });

    it('serves inline federation traces outside production, and in production only with FEDERATION_TRACES=true', () => {
      expect(loadConfig({}).federationTraces).toBe(true);
      expect(loadConfig({ NODE_ENV: 'production', ALLOW_ANONYMOUS: 'true' }).federationTraces).toBe(false);
      expect(
        loadConfig({ NODE_ENV: 'production', ALLOW_ANONYMOUS: 'true', FEDERATION_TRACES: 'true' }).federationTraces,
      ).toBe(true);
      expect(loadConfig({ FEDERATION_TRACES: 'false' }).federationTraces).toBe(false);
    });

    it('reads METRICS_TOKEN (unset = open /metrics)', () => {
      expect(loadConfig({}).metricsToken).toBeNull();
      expect(loadConfig({ METRICS_TOKEN: 'scrape-me' }).metricsToken).toBe('scrape-me');
    });
  });
});
