import { createClient } from 'graphql-ws';
import { SNIPPET_INPUT, startClientSnippetServer, type ClientSnippetServer } from '../support/clientServer';
import { CREATE_MUTATION } from '../support/testServer';

/**
 * README.md "Use it from a client" → graphql-ws alone: the snippet below is the README's, line for line
 * (test/clients/readme-snippets.test.ts checks that), run against a real server with tokens required.
 */
let running: ClientSnippetServer;

beforeAll(async () => {
  running = await startClientSnippetServer();
});

afterAll(async () => {
  await running?.testServer.close();
});

it('follows a task from its current state to SUCCEEDED, then the iteration ends', async () => {
  const { GRAPHQL_WS, TOKEN } = running;
  const created = await running.testServer.client
    .withHeaders({ authorization: `Bearer ${TOKEN}` })
    .request<{ createLipSync: { id: string } }>(CREATE_MUTATION, { input: SNIPPET_INPUT });
  const id = created.body.data!.createLipSync.id;
  const seen: unknown[] = [];
  const console = { log: (task: unknown) => seen.push(task) }; // what the snippet prints, kept for the checks

  // --- README snippet ---
  const ws = createClient({ url: GRAPHQL_WS, connectionParams: { authorization: `Bearer ${TOKEN}` } });
  const updates = ws.iterate({
    query: 'subscription Follow($id: ID!) { lipSyncTaskUpdated(id: $id) { status videos { url } } }',
    variables: { id },
  });
  for await (const { data } of updates) console.log(data?.lipSyncTaskUpdated); // ends after SUCCEEDED, FAILED or CANCELED
  await ws.dispose();
  // --- end of snippet ---

  const statuses = (seen as Array<{ status: string }>).map((task) => task.status);
  expect(statuses[0]).toMatch(/^(SUBMITTED|PROCESSING)$/);
  expect(statuses.at(-1)).toBe('SUCCEEDED');
  expect(seen.at(-1)).toMatchObject({ videos: [{ url: expect.stringMatching(/^https:\/\//) }] });
});
