import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { UpstreamError } from '../../src/errors';
import { KlingClient } from '../../src/upstream/KlingClient';
import { waitFor } from '../support/childServer';
import { KLING_ERROR_CODES, startFakeKling, type FakeFault, type FakeKling } from '../support/fakeKling';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

/**
 * Every way docs/kling.md says Kling (or a gateway in front of it) can fail, on create, on a task's GET and in
 * the list, through the real fake upstream. Each case checks the contract's answer and that nothing leaked,
 * then that the server still serves.
 */

const SECRET = 'fault-matrix-secret-kling-key';
const TIMEOUT_MS = 300;
const TASK_QUERY = /* GraphQL */ `query Task($id: ID!) { lipSyncTask(id: $id) { id status } }`;

/** docs/kling.md, "Error codes": HTTP status, contract code, retryable. */
const CODE_TABLE: Record<number, [httpStatus: number, contractCode: string, retryable: boolean]> = {
  1000: [401, 'UPSTREAM_AUTH_FAILED', false],
  1001: [401, 'UPSTREAM_AUTH_FAILED', false],
  1002: [401, 'UPSTREAM_AUTH_FAILED', false],
  1003: [401, 'UPSTREAM_AUTH_FAILED', false],
  1004: [401, 'UPSTREAM_AUTH_FAILED', false],
  1100: [429, 'UPSTREAM_QUOTA_EXHAUSTED', false],
  1101: [429, 'UPSTREAM_QUOTA_EXHAUSTED', false],
  1102: [429, 'UPSTREAM_QUOTA_EXHAUSTED', false],
  1103: [403, 'UPSTREAM_FORBIDDEN', false],
  1200: [400, 'BAD_USER_INPUT', false],
  1201: [400, 'BAD_USER_INPUT', false],
  1202: [404, 'NOT_FOUND', false],
  1203: [404, 'NOT_FOUND', false],
  1300: [400, 'CONTENT_REJECTED', false],
  1301: [400, 'CONTENT_REJECTED', false],
  1302: [429, 'RATE_LIMITED', true],
  1303: [429, 'RATE_LIMITED', true],
  1304: [429, 'UPSTREAM_FORBIDDEN', false],
  5000: [500, 'UPSTREAM_UNAVAILABLE', true],
  5001: [503, 'UPSTREAM_UNAVAILABLE', true],
  5002: [504, 'UPSTREAM_UNAVAILABLE', true],
};

interface Expected {
  code: string;
  retryable: boolean;
  upstream: Record<string, unknown>;
}

const codeCases: Array<[string, FakeFault, Expected]> = KLING_ERROR_CODES.map((code) => {
  const [httpStatus, contractCode, retryable] = CODE_TABLE[code];
  return [
    `code ${code}`,
    { code },
    { code: contractCode, retryable, upstream: { httpStatus, code, requestId: expect.any(String) } },
  ];
});

/** Faults with no Kling code: the same answer on every endpoint. */
const brokenRoad: Array<[string, FakeFault, Expected]> = [
  [
    'an HTML 502 page',
    { html: 502 },
    { code: 'UPSTREAM_UNAVAILABLE', retryable: true, upstream: { httpStatus: 502, code: null } },
  ],
  [
    'a connection reset',
    { reset: true },
    { code: 'UPSTREAM_UNAVAILABLE', retryable: true, upstream: { httpStatus: null, code: null } },
  ],
  ['a hang', { hang: true }, { code: 'UPSTREAM_TIMEOUT', retryable: true, upstream: { httpStatus: null, code: null } }],
  [
    'malformed JSON',
    { malformedJson: true },
    { code: 'UPSTREAM_UNAVAILABLE', retryable: true, upstream: { httpStatus: 200, code: null } },
  ],
  [
    'data missing',
    { dataMissing: true },
    { code: 'UPSTREAM_UNAVAILABLE', retryable: true, upstream: { httpStatus: 200, code: null } },
  ],
];

const mismatched: Expected = {
  code: 'UPSTREAM_UNAVAILABLE',
  retryable: true,
  upstream: { httpStatus: 200, code: null, requestId: expect.any(String) },
};

it('the matrix covers every error code of docs/kling.md', () => {
  expect(Object.keys(CODE_TABLE).map(Number).sort()).toEqual([...KLING_ERROR_CODES].sort());
});

function expectNoLeak(answer: unknown): void {
  const text = JSON.stringify(answer);
  expect(text).not.toContain(SECRET);
  expect(text).not.toMatch(/<html|<\/|<body|nginx|stacktrace/i);
}

describe('fault matrix through the server', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      fake: { apiKey: SECRET },
      env: {
        NODE_ENV: 'production',
        ALLOW_ANONYMOUS: 'true',
        KLING_TIMEOUT_MS: String(TIMEOUT_MS),
        // this matrix fails on purpose, many times in a row: the breaker has its own test
        KLING_BREAKER_FAILURES: '1000',
        RECONCILE_INTERVAL_MS: '200',
      },
    });
  });
  afterAll(() => t.close());
  afterEach(() => t.fake.reset());

  async function create() {
    const res = await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
    expect(res.status).toBeLessThan(500);
    expectNoLeak(res.body);
    return res.body;
  }

  async function rowCount(): Promise<number> {
    return Object.values(await t.server.store.countByState()).reduce((sum, n) => sum + (n ?? 0), 0);
  }

  /** /healthz answers and a normal create goes through, once the fault has passed. */
  async function expectStillServing(): Promise<void> {
    t.fake.reset();
    expect((await fetch(`${t.server.origin}/healthz`)).status).toBe(200);
    await createTask();
  }

  /**
   * A normal create. After Kling's 1302/1303 the queue backs off for a while (a create meanwhile is QUEUED): wait
   * for the task to be submitted.
   */
  async function createTask(): Promise<{ id: string; klingTaskId: string }> {
    const body = await create();
    expect(body.errors).toBeUndefined();
    const task = body.data?.createLipSync as { id: string; klingTaskId: string | null; status: string };
    const klingTaskId =
      task.klingTaskId ??
      (await waitFor(
        'the queued create to be submitted after the backoff',
        async () => {
          const res = await t.client.request('query($id: ID!) { lipSyncTask(id: $id) { klingTaskId } }', {
            id: task.id,
          });
          return (res.body.data?.lipSyncTask?.klingTaskId as string | null) ?? undefined;
        },
        20_000,
        200,
      ));
    expect(klingTaskId).toMatch(/^\d+$/);
    return { id: task.id, klingTaskId };
  }

  describe('on create', () => {
    it.each<[string, FakeFault, Expected]>([
      ...codeCases,
      ...brokenRoad,
      ['a mismatched task', { mismatchedTaskId: true }, mismatched],
    ])('%s answers the contract error', async (_name, fault, expected) => {
      t.fake.inject(fault, { endpoint: 'create', times: 3 });
      const body = await create();
      if ('code' in fault && (fault.code === 1302 || fault.code === 1303)) {
        // Kling's rate or concurrency limit: the task is kept and QUEUED, not failed (the queue backs off).
        expect(body.errors).toBeUndefined();
        expect(body.data?.createLipSync).toMatchObject({ status: 'QUEUED', klingTaskId: null });
      } else {
        expect(body.data ?? null).toBeNull();
        expect(body.errors?.[0].extensions).toMatchObject({ ...expected });
      }
      await expectStillServing();
    });

    it('an unknown task_status still answers SUBMITTED with the task Kling accepted (and bills)', async () => {
      t.fake.inject({ unknownStatus: true }, { endpoint: 'create' });
      const body = await create();
      expect(body.errors).toBeUndefined();
      const task = body.data?.createLipSync as { id: string; klingTaskId: string; status: string };
      expect(task.status).toBe('SUBMITTED');
      expect(task.klingTaskId).toBe(t.fake.tasks.allTasks()[0].task_id);
      expect(t.logs()).toContain('unknown task_status');
      await expectStillServing();
    });
  });

  describe('on a live task’s GET', () => {
    // Only GETs answer here: with enough tasks followed the watcher would read them from Kling's list instead
    // (src/services/TaskListSweep.ts), which these cases do not fault.
    // (beforeEach: the outer afterEach resets the fake, list delay included)
    beforeEach(() => t.fake.setListVisibilityDelay(3_600_000));

    it.each<[string, FakeFault, Expected | null]>([
      ...codeCases,
      ...brokenRoad,
      ['a mismatched task', { mismatchedTaskId: true }, mismatched],
      ['an unknown task_status', { unknownStatus: true }, null],
    ])('%s: the read serves the stored task, and nothing is written', async (_name, fault) => {
      const created = await createTask();
      t.fake.inject(fault, { endpoint: 'get', times: Infinity });
      const stored = await t.server.store.getById(created.id);
      const rowsBefore = await rowCount();
      // let the stored answer age past TASK_FRESHNESS_MS, so the read asks the (faulty) upstream
      await waitFor('a GET to hit the fault', () => t.fake.count('get') > 0, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 150));

      const res = await t.client.request(TASK_QUERY, { id: created.id });
      expect(res.status).toBeLessThan(500);
      expectNoLeak(res.body);
      const notFound = 'code' in fault && (fault.code === 1202 || fault.code === 1203);
      if (!notFound) {
        expect(res.body.errors).toBeUndefined();
        expect(res.body.data?.lipSyncTask).toMatchObject({ id: created.id });
      }
      const after = await t.server.store.getById(created.id);
      expect(after && [after.upstreamId, after.state, after.tenant]).toEqual(
        stored && [stored.upstreamId, stored.state, stored.tenant],
      );
      expect(await rowCount()).toBe(rowsBefore);
      if ('unknownStatus' in fault) expect(t.logs()).toContain('unknown task_status');
      await expectStillServing();
    });
  });

  it('an unknown task_status on GET leaves a PROCESSING task PROCESSING (never moved back), with a warning', async () => {
    const created = await createTask();
    await waitFor(
      'the task to be PROCESSING in the store',
      async () => (await t.server.store.getById(created.id))?.state === 'processing',
      10_000,
    );
    t.fake.inject({ unknownStatus: true }, { endpoint: 'get', times: Infinity });
    const seen = t.fake.count('get');
    await waitFor('two more GETs', () => t.fake.count('get') >= seen + 2, 10_000);

    const res = await t.client.request(TASK_QUERY, { id: created.id });
    expect(res.body.data?.lipSyncTask).toEqual({ id: created.id, status: 'PROCESSING' });
    expect((await t.server.store.getById(created.id))?.state).toBe('processing');
    expect(t.logs()).toContain('unknown task_status');
  });

  describe('in the list (the reconciler)', () => {
    /** A create whose answer is lost: the row stays `submitting` until the reconciler finds it in the list. */
    async function lostCreate(): Promise<string> {
      t.fake.inject({ acceptThenHang: true }, { endpoint: 'create' });
      const body = await create();
      expect(body.errors?.[0].extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
      const rows = await t.server.store.listSubmitting();
      return rows.reduce((newest, row) => (row.recordedAt > newest.recordedAt ? row : newest)).id;
    }

    async function expectFoundOnce(rowId: string, creates = 1): Promise<void> {
      const row = await waitFor(
        'the reconciler to find the lost create',
        async () => {
          const current = await t.server.store.getById(rowId);
          return current && current.state !== 'submitting' ? current : undefined;
        },
        20_000,
      );
      expect(row.state).not.toBe('submit_failed');
      expect(row.upstreamId).toBe(t.fake.tasks.taskByExternalId(rowId)?.task_id);
      expect(t.fake.count('create')).toBe(creates);
    }

    it.each([...codeCases, ...brokenRoad])('%s: the row waits, then is found', async (_name, fault) => {
      t.fake.inject(fault, { endpoint: 'list', times: 1 });
      const rowId = await lostCreate();
      await expectFoundOnce(rowId);
      await expectStillServing();
    });

    it('a task with an unknown task_status is still found (as SUBMITTED)', async () => {
      t.fake.inject({ unknownStatus: true }, { endpoint: 'list', times: Infinity });
      const rowId = await lostCreate();
      await expectFoundOnce(rowId);
      expect(t.logs()).toContain('unknown task_status');
      await expectStillServing();
    });

    it('two tasks claiming one task_id are both distrusted: the row waits instead of being written or failed', async () => {
      const decoy = await createTask();
      t.fake.inject({ mismatchedTaskId: true }, { endpoint: 'list', times: 3 });
      const rowId = await lostCreate();
      await waitFor('the faulty list answers to be used up', () => t.fake.count('list') >= 3, 20_000);
      expect((await t.server.store.getById(rowId))?.state).not.toBe('submit_failed');
      await expectFoundOnce(rowId, 2);
      expect((await t.server.store.getById(decoy.id))?.upstreamId).toBe(decoy.klingTaskId);
      await expectStillServing();
    });
  });

  it('never logs the Kling key', () => {
    expect(t.logs()).not.toContain(SECRET);
  });
});

describe('fault matrix at the client boundary (what GET and list failures carry)', () => {
  let fake: FakeKling;
  let client: KlingClient;
  beforeAll(async () => {
    fake = await startFakeKling({ apiKey: SECRET });
    client = new KlingClient({
      config: { ...fake.upstreamConfig({ timeoutMs: TIMEOUT_MS }), breaker: { failures: 1000, halfOpenAfterMs: 1000 } },
      retryDelayMs: 5,
    });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await client.close();
    await fake.close();
  });

  async function failure(call: Promise<unknown>): Promise<UpstreamError> {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UpstreamError);
    expectNoLeak({ message: (error as UpstreamError).message, extensions: (error as UpstreamError).extensions });
    return error as UpstreamError;
  }

  it.each<[string, FakeFault, Expected]>([
    ...codeCases,
    ...brokenRoad,
    ['a mismatched task', { mismatchedTaskId: true }, mismatched],
  ])('GET with %s', async (_name, fault, expected) => {
    const { data } = await client.createLipSync({
      input: {
        video_url: 'https://cdn.example.com/a.mp4',
        mode: 'text2video',
        text: 'Hi',
        voice_id: 'genshin_vindi2',
        voice_language: 'en',
      },
    });
    fake.inject(fault, { endpoint: 'get', times: Infinity });
    const error = await failure(client.getLipSync(data.task_id));
    expect(error.extensions).toMatchObject({ ...expected });
  });

  it.each([...codeCases, ...brokenRoad])('list with %s', async (_name, fault, expected) => {
    fake.inject(fault, { endpoint: 'list', times: Infinity });
    const error = await failure(client.listLipSync(1, 30));
    expect(error.extensions).toMatchObject({ ...expected });
  });

  it('a create answered about another task is an unknown outcome: not re-sent, left for reconciliation', async () => {
    fake.inject({ mismatchedTaskId: true }, { endpoint: 'create' });
    const body = {
      input: {
        video_id: '817067112967086149',
        mode: 'audio2video',
        audio_type: 'url',
        audio_url: 'https://cdn.example.com/a.mp3',
      },
      external_task_id: 'rec-mine',
    } as const;
    const error = await failure(client.createLipSync(body));
    expect([error.code, error.retryable, error.outcomeUnknown]).toEqual(['UPSTREAM_UNAVAILABLE', true, true]);
    expect([fake.count('create'), fake.tasks.taskByExternalId('rec-mine')?.task_status]).toEqual([1, 'submitted']);
  });

  it('a GET with an unknown task_status is passed on as it is (the mapper keeps the last known state)', async () => {
    const { data } = await client.createLipSync({
      input: {
        video_id: '817067112967086149',
        mode: 'audio2video',
        audio_type: 'url',
        audio_url: 'https://cdn.example.com/a.mp3',
      },
    });
    fake.inject({ unknownStatus: 'queueing' }, { endpoint: 'get' });
    const answer = await client.getLipSync(data.task_id);
    expect([answer.data.task_id, answer.data.task_status]).toEqual([data.task_id, 'queueing']);
  });

  it('one untrustworthy task in a list is left out, the others kept, and counted', async () => {
    const body = {
      input: {
        video_id: '817067112967086149',
        mode: 'audio2video',
        audio_type: 'url',
        audio_url: 'https://cdn.example.com/a.mp3',
      },
    } as const;
    const ids = [];
    for (let i = 0; i < 3; i++)
      ids.push((await client.createLipSync({ ...body, external_task_id: `rec-${i}` })).data.task_id);
    fake.inject({ mismatchedTaskId: true }, { endpoint: 'list' });
    const answer = await client.listLipSync(1, 30);
    // the newest task took the second one's id: neither can be trusted, the oldest is kept
    expect(answer.data.map((task) => task.task_id)).toEqual([ids[0]]);
    expect(answer.unreadable).toBe(2);
    expect(typeof answer.data[0].task_id).toBe('string');
  });
});
