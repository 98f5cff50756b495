import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

/**
 * The fast lane must answer exactly as Apollo's pipeline would. Apollo answers a request that asks for
 * application/graphql-response+json, so the same operation is sent both ways and the answers compared.
 */
describe('fast lane parity with Apollo', () => {
  let t: TestServer;
  let finishedId: string;
  beforeAll(async () => {
    t = await startTestServer({ env: { NODE_ENV: 'production', ALLOW_ANONYMOUS: 'true' }, fake: { processingAfterMs: 10, succeedAfterMs: 20 } });
    const created = await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
    finishedId = created.body.data!.createLipSync.id;
    await new Promise((r) => setTimeout(r, 150));
    await t.client.request('query($id: ID!) { lipSyncTask(id: $id) { id } }', { id: finishedId });
  });
  afterAll(() => t.close());

  const viaApollo = { accept: 'application/graphql-response+json, application/json;q=0.9' };

  const cases: Array<[string, string, () => Record<string, unknown>]> = [
    ['a query', '{ voices(language: EN) { id language } }', () => ({})],
    ['a finished task (cacheable)', 'query T($id: ID!) { lipSyncTask(id: $id) { id status videos { url } } }', () => ({ id: finishedId })],
    ['an unknown task', 'query T($id: ID!) { lipSyncTask(id: $id) { id } }', () => ({ id: '1' })],
    ['two root fields', 'query T($id: ID!) { lipSyncTask(id: $id) { id } voices { id } }', () => ({ id: finishedId })],
    ['invalid input', CREATE_MUTATION, () => ({ input: { ...TEXT_INPUT, videoId: 'x', voiceSpeed: 5 } })],
    ['a variable of the wrong type', CREATE_MUTATION, () => ({ input: { ...TEXT_INPUT, voiceSpeed: 'fast' } })],
    ['a page size over the limit', '{ lipSyncTasks(first: 500) { edges { cursor } } }', () => ({})],
  ];

  it.each(cases)('answers %s the same way', async (_name, query, variables) => {
    const fast = await t.client.request(query, variables());
    const apollo = await t.client.request(query, variables(), viaApollo);
    expect(fast.status).toBe(apollo.status);
    expect(fast.body).toEqual(apollo.body);
    expect(fast.headers.get('cache-control')).toBe(apollo.headers.get('cache-control'));
  });

  it('records operations from both paths in the same metrics', async () => {
    await t.client.request('query Parity { voices { id } }');
    await t.client.request('query Parity { voices { id } }', {}, viaApollo);
    const text = await (await fetch(`${t.server.origin}/metrics`)).text();
    expect(text).toContain('graphql_operations_total{operation="Parity",outcome="success"} 2');
  });
});
