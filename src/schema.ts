import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import type { GraphQLSchema } from 'graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import gql from 'graphql-tag';
import { buildSchema, createResolversMap } from 'type-graphql';
import type { RequestContext } from './context';
import { AdvancedLipSyncResolver } from './resolvers/AdvancedLipSyncResolver';
import { LipSyncResolver } from './resolvers/LipSyncResolver';
import { resolveLipSyncTaskReference } from './resolvers/LipSyncTask.reference';
import { VoiceResolver } from './resolvers/VoiceResolver';
import { UsageResolver } from './resolvers/UsageResolver';
import { LipSyncTaskWebhooksResolver } from './resolvers/LipSyncTaskWebhooksResolver';
import { WebhookResolver } from './resolvers/WebhookResolver';
import { LipSyncTaskArchiveResolver } from './resolvers/LipSyncTaskArchiveResolver';
import { LipSyncVideoArchiveResolver } from './resolvers/LipSyncVideoArchiveResolver';
import { validateArgument } from './types/validation/validateArgument';

/** Federation v2: this graph is a subgraph; `LipSyncTask` is an entity other subgraphs can reference. */
const FEDERATION_LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])\n`;

/** Apollo's cache hints: result objects inherit their task's max age instead of defaulting to uncacheable. */
const CACHE_CONTROL = `
enum CacheControlScope { PUBLIC PRIVATE }
directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
`;

/**
 * type-graphql refuses to build subscriptions without a PubSub, even when every subscription brings its own
 * `subscribe` (ours stream from the TaskUpdateHub). This one says so if anything ever reaches it.
 */
const NO_TOPIC_PUBSUB = {
  publish(): void {
    throw new Error('subscriptions here stream from the TaskUpdateHub, not type-graphql topics');
  },
  subscribe(): AsyncIterable<unknown> {
    throw new Error('subscriptions here stream from the TaskUpdateHub, not type-graphql topics');
  },
};

let building: Promise<GraphQLSchema> | null = null;

/**
 * The served schema: type-graphql classes printed with their directives, turned into a federation subgraph
 * with the entity resolver merged in. Built once per process; services reach resolvers through the context.
 */
export function buildLipSyncSchema(): Promise<GraphQLSchema> {
  building ??= build();
  return building;
}

async function build(): Promise<GraphQLSchema> {
  const typeSchema = await buildSchema({
    resolvers: [
      LipSyncResolver,
      VoiceResolver,
      AdvancedLipSyncResolver,
      UsageResolver,
      WebhookResolver,
      LipSyncTaskWebhooksResolver,
      LipSyncTaskArchiveResolver,
      LipSyncVideoArchiveResolver,
    ],
    scalarsMap: [{ type: Date, scalar: GraphQLDateTime }],
    validateFn: validateArgument,
    pubSub: NO_TOPIC_PUBSUB,
  });
  const resolvers = createResolversMap(typeSchema) as Record<string, object>;
  return buildSubgraphSchema([
    {
      typeDefs: gql(FEDERATION_LINK + CACHE_CONTROL + printSchemaWithDirectives(typeSchema)),
      resolvers: {
        ...resolvers,
        LipSyncTask: {
          ...resolvers.LipSyncTask,
          __resolveReference: (reference: { id: string }, context: RequestContext) =>
            resolveLipSyncTaskReference(reference, context),
        },
      } as never,
    },
  ]);
}
