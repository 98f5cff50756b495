import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';
import { lastValueFrom } from 'rxjs';
import { SNIPPET_INPUT, startClientSnippetServer, type ClientSnippetServer, type Task } from '../support/clientServer';

/**
 * README.md "Use it from a client" → Apollo Client 4: the snippet below is the README's, line for line
 * (test/clients/readme-snippets.test.ts checks that), run against a real server with tokens required.
 */
let running: ClientSnippetServer;

beforeAll(async () => {
  running = await startClientSnippetServer();
});

afterAll(async () => {
  await running?.testServer.close();
});

// A subscription sent over HTTP fails on this server (no multipart subscriptions), so reaching SUCCEEDED proves
// the split link sent it over graphql-ws.
it('creates a task over HTTP and follows it over graphql-ws to SUCCEEDED (split link)', async () => {
  const { GRAPHQL_HTTP, GRAPHQL_WS, TOKEN } = running;
  const input = SNIPPET_INPUT;

  // --- README snippet ---
  const client = new ApolloClient({
    cache: new InMemoryCache(),
    link: ApolloLink.split(
      ({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION,
      new GraphQLWsLink(createClient({ url: GRAPHQL_WS, connectionParams: { authorization: `Bearer ${TOKEN}` } })),
      new HttpLink({ uri: GRAPHQL_HTTP, headers: { authorization: `Bearer ${TOKEN}` } }),
    ),
  });

  const { data } = await client.mutate<{ createLipSync: Task }>({
    mutation: gql`mutation Create($input: CreateLipSyncInput!) { createLipSync(input: $input) { id status } }`,
    variables: { input },
  });
  const id = data!.createLipSync.id;

  // The subscription completes after SUCCEEDED, FAILED or CANCELED: its last value is the finished task, with videos.
  const last = await lastValueFrom(
    client.subscribe<{ lipSyncTaskUpdated: Task }>({
      query: gql`subscription Follow($id: ID!) { lipSyncTaskUpdated(id: $id) { id status videos { url } } }`,
      variables: { id },
    }),
  );
  // --- end of snippet ---
  client.stop();

  expect(data?.createLipSync.status).toBe('SUBMITTED');
  expect(last.error).toBeUndefined();
  expect(last.data?.lipSyncTaskUpdated).toMatchObject({
    id,
    status: 'SUCCEEDED',
    videos: [{ url: expect.stringMatching(/^https:\/\//) }],
  });
});
