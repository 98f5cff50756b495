import { startTestServer, type TestServer } from '../support/testServer';

/**
 * GraphQL over HTTP has no subscriptions here (they run over graphql-ws): a subscription sent as a POST is the
 * caller's mistake, answered as one — never a masked INTERNAL_SERVER_ERROR — on both paths (fast lane, Apollo).
 */
describe('a subscription sent over HTTP', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { FEDERATION_TRACES: 'false' } });
  });
  afterAll(() => t.close());

  it.each([
    ['as a client sends it', {}],
    ['with the header that always goes to Apollo', { 'apollo-federation-include-trace': 'ftv1' }],
  ])('is refused as a client error pointing to the WebSocket endpoint, %s', async (_path, headers) => {
    const response = await fetch(t.server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: 'subscription S { lipSyncTaskUpdated(id: "1") { id } }' }),
    });
    const body = (await response.json()) as { data?: unknown; errors: { message: string; extensions: unknown }[] };
    expect(response.status).toBe(400);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].message).toBe(
      `Subscriptions are not served over HTTP: connect with the graphql-ws protocol to ws://${new URL(t.server.url).host}/graphql (wss:// behind TLS)`,
    );
    expect(body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'BAD_REQUEST' });
    expect(body.data).toBeUndefined();
  });
});
