import { SNIPPET_INPUT, startClientSnippetServer, type ClientSnippetServer, type Task } from '../support/clientServer';

/**
 * README.md "Use it from a client" → plain fetch: the snippet below is the README's, line for line
 * (test/clients/readme-snippets.test.ts checks that), run against a real server with tokens required.
 */
let running: ClientSnippetServer;

beforeAll(async () => {
  running = await startClientSnippetServer();
});

afterAll(async () => {
  await running?.testServer.close();
});

it('creates a task with one POST', async () => {
  const { GRAPHQL_HTTP, TOKEN } = running;
  const input = SNIPPET_INPUT;

  // --- README snippet ---
  const response = await fetch(GRAPHQL_HTTP, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({
      query: 'mutation Create($input: CreateLipSyncInput!) { createLipSync(input: $input) { id status } }',
      variables: { input },
    }),
  });
  const { data, errors } = (await response.json()) as { data?: { createLipSync: Task }; errors?: unknown[] };
  // --- end of snippet ---

  expect(response.status).toBe(200);
  expect(errors).toBeUndefined();
  expect(data?.createLipSync).toEqual({ id: expect.any(String), status: 'SUBMITTED' });
});
