import { randomBytes } from 'node:crypto';
import { waitFor } from '../support/childServer';
import { TEST_REDIS_URL } from '../support/redis';
import { startRedisProxy, type RedisProxy } from '../support/redisProxy';
import { startTestServer, type TestServer } from '../support/testServer';

/**
 * docs/operations.md, "Health and readiness": `/readyz` answers 200 only when the store and Redis (if set) answer. Redis is reached through
 * a TCP proxy, so cutting the proxy is a Redis outage for this server alone (the shared Redis keeps running).
 */
describe('/readyz with Redis down', () => {
  let proxy: RedisProxy;
  let t: TestServer;
  beforeAll(async () => {
    proxy = await startRedisProxy(TEST_REDIS_URL);
    t = await startTestServer({
      env: { REDIS_URL: proxy.url, REDIS_KEY_PREFIX: `lipsync-test:${randomBytes(4).toString('hex')}:` },
    });
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.cut();
  });

  const readyz = async () => {
    const res = await fetch(`${t.server.origin}/readyz`);
    return { status: res.status, body: (await res.json()) as { status: string; down?: string[] } };
  };

  it('is 200 while Redis answers, 503 naming redis while it is cut, and 200 again once it is back', async () => {
    expect(await readyz()).toEqual({ status: 200, body: { status: 'ready' } });

    await proxy.cut();
    // Deadline: the readiness PING is bounded to a second; a loaded machine gets ten.
    const down = await waitFor(
      '/readyz to report redis down',
      async () => {
        const answer = await readyz();
        return answer.status !== 200 && answer;
      },
      10_000,
      100,
    );
    expect(down).toEqual({ status: 503, body: { status: 'unavailable', down: ['redis'] } });
    // Liveness is not readiness: the process still runs, and GraphQL still answers.
    expect((await fetch(`${t.server.origin}/healthz`)).status).toBe(200);
    expect((await t.client.request('{ voices(language: EN) { id } }')).body.errors).toBeUndefined();

    await proxy.restore();
    await waitFor(
      '/readyz to be 200 again after Redis came back',
      async () => (await readyz()).status === 200,
      15_000,
      100,
    );
  });
});
