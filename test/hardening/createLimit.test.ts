import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config';
import { startFakeKling, type FakeKling } from '../support/fakeKling';
import { TEST_REDIS_URL } from '../support/redis';
import { waitFor } from '../support/childServer';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

/**
 * Per-tenant create limit (issue 11, item 6): RATE_LIMITED with retryAfterSeconds, nothing sent upstream,
 * no row left behind; shared by instances through Redis. And a create the upstream limiter refuses locally
 * leaves no `submitting` row.
 */
const TOKENS = 'acme=tok-acme,globex=tok-globex';
const as = (token: string) => ({ authorization: `Bearer ${token}` });

async function create(t: TestServer, token: string, input: Record<string, unknown> = TEXT_INPUT) {
  const res = await t.client.request(CREATE_MUTATION, { input }, as(token));
  return res.body.errors?.[0] ?? null;
}

/** Every row the store holds, in any state (accepted or not). */
async function rowCount(t: TestServer): Promise<number> {
  return Object.values(await t.server.store.countByState()).reduce((sum, n) => sum + (n ?? 0), 0);
}

function expectLimited(error: Awaited<ReturnType<typeof create>>): void {
  expect(error?.extensions?.code).toBe('RATE_LIMITED');
  expect(error?.extensions?.retryable).toBe(true);
  const retryAfter = error?.extensions?.retryAfterSeconds as number;
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

describe('per-tenant create limit, one instance', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { AUTH_TOKENS: TOKENS, RATE_LIMIT_CREATES_PER_MINUTE: '3' } });
  });
  afterAll(() => t.close());

  it('refuses the tenant’s 4th create in a minute with RATE_LIMITED, sending and storing nothing; others are unaffected', async () => {
    for (let i = 0; i < 3; i++) expect(await create(t, 'tok-acme')).toBeNull();
    const creates = t.fake.count('create');
    const rows = await rowCount(t);
    expectLimited(await create(t, 'tok-acme'));
    expectLimited(await create(t, 'tok-acme', { ...TEXT_INPUT, idempotencyKey: 'limited-key' }));
    expect(t.fake.count('create')).toBe(creates);
    expect(await rowCount(t)).toBe(rows);
    const list = await t.client.request(
      '{ lipSyncTasks(first: 50) { edges { node { id } } } }',
      undefined,
      as('tok-acme'),
    );
    expect(list.body.data!.lipSyncTasks.edges).toHaveLength(3);
    expect(await create(t, 'tok-globex')).toBeNull();
  });
});

describe('per-tenant create limit, two instances sharing Redis', () => {
  let fake: FakeKling;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    fake = await startFakeKling({ processingAfterMs: 300, succeedAfterMs: 900 });
    const env = {
      AUTH_TOKENS: TOKENS,
      RATE_LIMIT_CREATES_PER_MINUTE: '4',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `lipsync-test:${randomBytes(6).toString('hex')}:`,
    };
    a = await startTestServer({ env, sharedFake: fake });
    b = await startTestServer({ env, sharedFake: fake });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await fake?.close();
  });

  it('spends one budget across both instances', async () => {
    const outcomes: Array<string | null> = [];
    for (let i = 0; i < 8; i++) {
      const error = await create(i % 2 === 0 ? a : b, 'tok-acme');
      if (error) expectLimited(error);
      outcomes.push(error ? String(error.extensions?.code) : null);
    }
    expect(outcomes.filter((o) => o === null)).toHaveLength(4);
    expect(outcomes.slice(4)).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(fake.count('create')).toBe(4);
    expect((await rowCount(a)) + (await rowCount(b))).toBe(4);
  });
});

describe('a create refused by the local upstream limiter', () => {
  let t: TestServer;
  beforeAll(async () => {
    // One upstream request per 2 s, and no caller waits more than 300 ms for one: the second create is refused.
    t = await startTestServer({
      env: { KLING_RATE_LIMIT_RPS: '0.5', KLING_TIMEOUT_MS: '300', POLL_MIN_MS: '60000', POLL_MAX_MS: '60000' },
    });
  });
  afterAll(() => t.close());

  it('queues what it refused (nothing was sent), leaves no submitting row, and submits each task once later', async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        t.client.request(CREATE_MUTATION, { input: { ...TEXT_INPUT, idempotencyKey: `local-limit-${i}` } }),
      ),
    );
    expect(results.map((r) => r.body.errors)).toEqual([undefined, undefined, undefined, undefined]);
    const tasks = results.map((r) => r.body.data!.createLipSync as { id: string; status: string });
    const queued = tasks.filter((task) => task.status === 'QUEUED');
    expect(queued.length).toBeGreaterThanOrEqual(1);
    expect(t.fake.count('create')).toBe(4 - queued.length);
    expect(await t.server.store.listSubmitting()).toEqual([]);

    // The queue submits each refused task, once, when the limiter has room (one request per 2 s here).
    await waitFor('every task to reach the upstream', () => t.fake.tasks.size === 4, 30_000, 200);
    const sent = t.fake.tasks.allTasks().map((task) => task.task_info.external_task_id);
    expect(sent.sort()).toEqual(tasks.map((task) => task.id).sort());
  });
});

describe('RATE_LIMIT_CREATES_PER_MINUTE', () => {
  it('defaults to 60 and refuses a value that is not a positive whole number, naming the variable', () => {
    expect(loadConfig({}).createsPerMinute).toBe(60);
    for (const bad of ['0', '-1', '1.5', 'lots']) {
      expect(() => loadConfig({ RATE_LIMIT_CREATES_PER_MINUTE: bad })).toThrow(/RATE_LIMIT_CREATES_PER_MINUTE/);
    }
  });
});
