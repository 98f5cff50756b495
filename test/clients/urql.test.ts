import { Client, cacheExchange, fetchExchange, gql } from '@urql/core';
import { SNIPPET_INPUT, startClientSnippetServer, type ClientSnippetServer } from '../support/clientServer';

/**
 * README.md "Use it from a client" → urql: the snippet below is the README's, line for line
 * (test/clients/readme-snippets.test.ts checks that), run against a real server with tokens required.
 * The other tests show why it sets `preferGetMethod: false`.
 */
let running: ClientSnippetServer;

beforeAll(async () => {
  running = await startClientSnippetServer();
});

afterAll(async () => {
  await running?.testServer.close();
});

const VOICES = gql`query Voices { voices(language: EN) { id name } }`;

it('the README client: creates a task and reads it back, queries sent as POST', async () => {
  const { GRAPHQL_HTTP, TOKEN } = running;
  const input = SNIPPET_INPUT;

  // --- README snippet ---
  const urql = new Client({
    url: GRAPHQL_HTTP,
    exchanges: [cacheExchange, fetchExchange],
    preferGetMethod: false,
    fetchOptions: { headers: { authorization: `Bearer ${TOKEN}` } },
  });

  // The README shows the next two statements as written here (test/clients/readme-snippets.test.ts), so prettier leaves them.
  // prettier-ignore
  const created = await urql
    .mutation(gql`mutation Create($input: CreateLipSyncInput!) { createLipSync(input: $input) { id status } }`, { input })
    .toPromise();
  // prettier-ignore
  const task = await urql
    .query(gql`query Task($id: ID!) { lipSyncTask(id: $id) { id status videos { url } } }`, { id: created.data.createLipSync.id })
    .toPromise();
  // --- end of snippet ---

  expect(created.error).toBeUndefined();
  expect(task.error).toBeUndefined();
  expect(task.data.lipSyncTask).toMatchObject({ id: created.data.createLipSync.id, status: expect.any(String) });
});

it("why: urql's default sends queries as GET without a preflight header, which Apollo's CSRF prevention blocks", async () => {
  const urql = new Client({
    url: running.GRAPHQL_HTTP,
    exchanges: [fetchExchange],
    fetchOptions: { headers: { authorization: `Bearer ${running.TOKEN}` } },
  });
  const result = await urql.query(VOICES, {}).toPromise();
  expect(result.data).toBeUndefined();
  expect(result.error?.message).toContain('Cross-Site Request Forgery');
});

it('the alternative the README names: keep GET (cacheable URLs) and send `apollo-require-preflight`', async () => {
  const urql = new Client({
    url: running.GRAPHQL_HTTP,
    exchanges: [fetchExchange],
    fetchOptions: { headers: { authorization: `Bearer ${running.TOKEN}`, 'apollo-require-preflight': 'true' } },
  });
  const result = await urql.query(VOICES, {}).toPromise();
  expect(result.error).toBeUndefined();
  expect(result.data.voices).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'genshin_vindi2' })]));
});
