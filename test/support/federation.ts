import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema, type GraphQLSchemaModule } from '@apollo/subgraph';
import gql from 'graphql-tag';
import { serveThroughOurHandler, type ListeningHttp } from './apolloOverHttp';
import { GraphQLTestClient } from './graphqlClient';

/** What a router asks a subgraph for before composing it. */
export async function fetchSubgraphSdl(client: GraphQLTestClient): Promise<string> {
  const { body } = await client.request<{ _service: { sdl: string } }>('{ _service { sdl } }');
  if (!body.data) throw new Error(`_service { sdl } failed: ${JSON.stringify(body.errors)}`);
  return body.data._service.sdl;
}

/**
 * A second subgraph as another team would write it: it owns `Video` and only references `LipSyncTask` by
 * key (`resolvable: false`), so every other task field has to come from our subgraph through `_entities`.
 */
export const VIDEOS_SUBGRAPH_SDL = gql`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Video @key(fields: "id") {
    id: ID!
    lipSyncTasks: [LipSyncTask!]!
  }

  type LipSyncTask @key(fields: "id", resolvable: false) {
    id: ID!
  }

  type Query {
    video(id: ID!): Video
  }
`;

export interface RunningGraph extends ListeningHttp {
  client: GraphQLTestClient;
}

async function serve(server: ApolloServer): Promise<RunningGraph> {
  await server.start();
  const http = await serveThroughOurHandler(server, async () => ({}));
  return {
    url: http.url,
    client: new GraphQLTestClient(http.url, http.url.replace(/^http/, 'ws')),
    async close() {
      await server.stop();
      await http.close();
    },
  };
}

/** Another team's subgraph, served over real HTTP. */
export function startSubgraph(module: GraphQLSchemaModule): Promise<RunningGraph> {
  const schema = buildSubgraphSchema([module]);
  // No inline tracing: it exists for Apollo's usage reporting, which no test here reads.
  return serve(new ApolloServer({ schema, plugins: [ApolloServerPluginInlineTraceDisabled()] }));
}

/** The videos subgraph; `lipSyncTaskIds(videoId)` says which tasks a video lists. */
export function startVideosSubgraph(lipSyncTaskIds: (videoId: string) => string[]): Promise<RunningGraph> {
  return startSubgraph({
    typeDefs: VIDEOS_SUBGRAPH_SDL,
    resolvers: {
      Query: { video: (_: unknown, { id }: { id: string }) => ({ id }) },
      Video: { lipSyncTasks: ({ id }: { id: string }) => lipSyncTaskIds(id).map((taskId) => ({ id: taskId })) },
    },
  });
}

export interface RunningGateway extends RunningGraph {
  /** every operation the gateway sent, by subgraph name, in order */
  subgraphRequests: Array<{ subgraph: string; query: string }>;
}

/** An Apollo Gateway over a composed supergraph, itself served over real HTTP. */
export async function startGateway(supergraphSdl: string): Promise<RunningGateway> {
  const subgraphRequests: RunningGateway['subgraphRequests'] = [];
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource({
        url,
        willSendRequest({ request }) {
          subgraphRequests.push({ subgraph: name, query: request.query ?? '' });
        },
      }),
  });
  const running = await serve(new ApolloServer({ gateway }));
  return { ...running, subgraphRequests };
}
