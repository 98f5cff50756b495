import type { GraphQLResponse } from '../support/graphqlClient';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

/**
 * The fast lane must answer exactly as Apollo's pipeline would. Apollo answers a request that asks for
 * application/graphql-response+json, so the same operation is sent both ways and the answers compared.
 * Outside production the fast lane marks its answers (`x-lipsync-path: fast`, src/graphql/FastLane.ts), so
 * the test proves each answer came from the path it compares: with the lane forced off, it fails.
 * Production is compared too (no stack traces, masked errors), where the mark must not appear.
 */
describe.each([
  ['production', true],
  ['development', false],
])('fast lane parity with Apollo (%s)', (_mode, production) => {
  let t: TestServer;
  let finishedId: string;
  beforeAll(async () => {
    t = await startTestServer({ env: { NODE_ENV: production ? 'production' : 'development', ALLOW_ANONYMOUS: 'true' }, fake: { processingAfterMs: 10, succeedAfterMs: 20 } });
    const created = await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
    finishedId = created.body.data!.createLipSync.id;
    await new Promise((r) => setTimeout(r, 150));
    await t.client.request('query($id: ID!) { lipSyncTask(id: $id) { id } }', { id: finishedId });
  });
  afterAll(() => t.close());

  const viaApollo = { accept: 'application/graphql-response+json, application/json;q=0.9' };
  const viaFastLane = { accept: 'application/json' };

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
    const fast = await t.client.request(query, variables(), viaFastLane);
    const apollo = await t.client.request(query, variables(), viaApollo);
    // Which path answered: only the fast lane marks its answers, and only outside production.
    expect([fast.headers.get('x-lipsync-path'), apollo.headers.get('x-lipsync-path')]).toEqual([production ? null : 'fast', null]);
    expect(fast.status).toBe(apollo.status);
    expect(comparable(fast)).toEqual(comparable(apollo));
    expect(fast.headers.get('cache-control')).toBe(apollo.headers.get('cache-control'));
  });

  it('records operations from both paths in the same metrics', async () => {
    await t.client.request('query Parity { voices { id } }', {}, viaFastLane);
    await t.client.request('query Parity { voices { id } }', {}, viaApollo);
    const text = await (await fetch(`${t.server.origin}/metrics`)).text();
    expect(text).toContain('graphql_operations_total{operation="Parity",outcome="success"} 2');
  });
});

/**
 * The body, with stack traces reduced to "there is one": outside production both paths add them, and the
 * frames differ by construction (different callers), not by behaviour.
 */
function comparable(response: GraphQLResponse): unknown {
  const errors = response.body.errors?.map((error) => {
    const extensions = error.extensions && { ...error.extensions };
    if (extensions && 'stacktrace' in extensions) extensions.stacktrace = Array.isArray(extensions.stacktrace) && extensions.stacktrace.length > 0;
    return { ...error, ...(extensions && { extensions }) };
  });
  return { ...response.body, ...(errors && { errors }) };
}
