import { waitFor } from '../support/childServer';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

/** Short, so the hang test is quick, yet far above a local round trip even on a loaded machine (400 ms was not). */
const UPSTREAM_TIMEOUT_MS = 2_000;

describe('upstream failures on createLipSync', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      fake: { apiKey: 'secret-aggregator-key' },
      env: { KLING_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS), NODE_ENV: 'production', ALLOW_ANONYMOUS: 'true' },
    });
  });
  afterAll(() => t.close());
  afterEach(() => t.fake.reset());

  async function failure(fault: Parameters<TestServer['fake']['inject']>[0], times = 1) {
    t.fake.inject(fault, { endpoint: 'create', times });
    const res = await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
    expect(res.body.data ?? null).toBeNull();
    const text = JSON.stringify(res.body);
    expect(text).not.toContain('secret-aggregator-key');
    expect(text).not.toMatch(/<html|<\/|stacktrace|at .*\.ts:\d+/i);
    return res.body.errors![0];
  }

  it.each([
    [1001, 401, 'UPSTREAM_AUTH_FAILED', false],
    [1004, 401, 'UPSTREAM_AUTH_FAILED', false],
    [1101, 429, 'UPSTREAM_QUOTA_EXHAUSTED', false],
    [1103, 403, 'UPSTREAM_FORBIDDEN', false],
    [1304, 429, 'UPSTREAM_FORBIDDEN', false],
    [1200, 400, 'BAD_USER_INPUT', false],
    [1201, 400, 'BAD_USER_INPUT', false],
    [1301, 400, 'CONTENT_REJECTED', false],
    [1300, 400, 'CONTENT_REJECTED', false],
  ])('maps upstream code %i (HTTP %i) to %s', async (code, httpStatus, expected, retryable) => {
    const error = await failure({ code, httpStatus, message: `upstream says ${code}` }, 3);
    expect(error.extensions).toMatchObject({
      code: expected,
      retryable,
      upstream: {
        httpStatus,
        code,
        message: expect.stringContaining(`upstream says ${code}`),
        requestId: expect.any(String),
      },
    });
  });

  // With the queue (docs/kling.md, 1302/1303), a create refused for Kling's rate or concurrency limit is not
  // retried in place nor failed: the task is QUEUED at once and submitted after the backoff, once.
  it.each([1302, 1303])(
    'queues a create answered %i (no retries) and submits it once after the backoff',
    async (code) => {
      t.fake.inject({ code, httpStatus: 429 }, { endpoint: 'create', times: 1 });
      const res = await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
      expect(res.body.errors).toBeUndefined();
      const task = res.body.data!.createLipSync;
      expect(task).toMatchObject({ status: 'QUEUED', klingTaskId: null });
      expect(t.fake.count('create')).toBe(1);
      await waitFor(
        'the queued task to be submitted',
        async () =>
          (await t.client.request('query($id: ID!) { lipSyncTask(id: $id) { klingTaskId } }', { id: task.id })).body
            .data?.lipSyncTask?.klingTaskId ?? undefined,
        15_000,
        100,
      );
      expect(t.fake.count('create')).toBe(2); // one refused, one accepted
      expect(t.fake.tasks.allTasks()).toHaveLength(1);
    },
  );

  it('maps 5001 (maintenance) to UPSTREAM_UNAVAILABLE after retries', async () => {
    const error = await failure({ code: 5001, httpStatus: 503 }, 3);
    expect(error.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true });
  });

  it('does not re-send a create after 5000: the upstream may have acted', async () => {
    const error = await failure({ code: 5000, httpStatus: 500 });
    expect(error.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true });
    expect(t.fake.count('create')).toBe(1);
  });

  it('turns an HTML 502 page into UPSTREAM_UNAVAILABLE without the HTML', async () => {
    const error = await failure({ html: 502 });
    expect(error.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', upstream: { httpStatus: 502, code: null } });
    expect(error.message).not.toContain('<');
  });

  it('turns a connection reset into UPSTREAM_UNAVAILABLE', async () => {
    const error = await failure({ reset: true });
    expect(error.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true });
  });

  it('turns a hang into UPSTREAM_TIMEOUT within the configured time', async () => {
    const started = Date.now();
    const error = await failure({ hang: true });
    expect(Date.now() - started).toBeLessThan(UPSTREAM_TIMEOUT_MS + 5_000); // slack for a loaded machine; without the timeout it hangs for good
    expect(error.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', retryable: true });
    expect(error.message).toContain(`${UPSTREAM_TIMEOUT_MS} ms`);
  });

  it('keeps a definite failure as submit_failed in the store, and an unknown outcome as submitting', async () => {
    const before = await t.server.store.countByState();
    await failure({ code: 1301, httpStatus: 400, message: 'content policy' });
    await failure({ code: 5002, httpStatus: 504 });
    const after = await t.server.store.countByState();
    expect((after.submit_failed ?? 0) - (before.submit_failed ?? 0)).toBe(1);
    expect((after.submitting ?? 0) - (before.submitting ?? 0)).toBe(1);
  });

  it('never logs the API key', () => {
    expect(t.logs()).not.toContain('secret-aggregator-key');
  });
});
