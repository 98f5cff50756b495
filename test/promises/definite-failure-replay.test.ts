import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

/**
 * docs/api.md, "Idempotency": "A definite, non-retryable failure is replayed as the same error".
 * A keyed create that Kling refuses for good
 * (1301, content rejected) answers the same error to a retry with the same key and input, and the retry
 * never reaches Kling: a second create could be charged, and could even succeed behind the client's back.
 */
describe('a keyed create Kling definitely refused', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { NODE_ENV: 'production', ALLOW_ANONYMOUS: 'true' } });
  });
  afterAll(() => t.close());

  it('is answered with the same error on a retry with the same key, with exactly one upstream create', async () => {
    // Only the first create is refused: a retry that reached Kling would succeed, and the test would see it.
    t.fake.inject({ code: 1301, httpStatus: 400, message: 'content policy' }, { endpoint: 'create', times: 1 });
    const input = { ...TEXT_INPUT, text: 'refused for good', idempotencyKey: 'definite-failure-1' };

    const first = await t.client.request(CREATE_MUTATION, { input });
    expect(first.body.data ?? null).toBeNull();
    expect(first.body.errors).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'CONTENT_REJECTED', retryable: false }) }),
    ]);

    const retry = await t.client.request(CREATE_MUTATION, { input });
    expect(retry.status).toBe(first.status);
    expect(retry.body).toEqual(first.body);
    expect(t.fake.count('create')).toBe(1);
    expect(t.fake.tasks.allTasks()).toHaveLength(0);
  });
});
