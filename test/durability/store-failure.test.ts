import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

describe('a store that cannot be written', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { NODE_ENV: 'production', ALLOW_ANONYMOUS: 'true' } });
  });
  afterAll(() => t.close());

  it('answers INTERNAL_SERVER_ERROR, masked, and makes no upstream call', async () => {
    await t.server.store.close(); // as good as a full disk: every write fails
    const res = await t.client.request(CREATE_MUTATION, { input: { ...TEXT_INPUT, idempotencyKey: 'disk-full' } });
    expect(res.body.errors).toEqual([
      expect.objectContaining({
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId: expect.any(String) },
      }),
    ]);
    expect(t.fake.count('create')).toBe(0);
    // The details are for the operator, in the log.
    expect(t.logs()).toMatch(/internal error while answering/);
  });
});
