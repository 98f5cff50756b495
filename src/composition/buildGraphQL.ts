import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { PrefixingKeyValueCache } from '@apollo/utils.keyvaluecache';
import { NoSchemaIntrospectionCustomRule, type GraphQLSchema } from 'graphql';
import type { RequestContext } from '../context';
import type { Coordination } from '../coordination';
import { EXAMPLE_OPERATION } from '../graphql/exampleOperation';
import { FastLane } from '../graphql/FastLane';
import { createErrorFormatter } from '../graphql/formatError';
import { observabilityPlugin } from '../graphql/observabilityPlugin';
import { OperationRecorder } from '../graphql/OperationRecorder';
import { PreparedDocuments } from '../graphql/PreparedDocuments';
import { subscriptionsOverHttpPlugin } from '../graphql/subscriptionsOverHttpPlugin';
import { buildLipSyncSchema } from '../schema';
import { annotateActiveOperation } from '../tracing/operationSpans';
import type { Foundation } from './Foundation';
import { queryLimits } from './queryLimits';
import { GRAPHQL_PATH, MAX_TOKENS } from './servingLimits';

/** The executable GraphQL: Apollo Server, and the fast lane and WebSockets beside it, sharing one error format. */
export interface GraphQLLayer {
  schema: GraphQLSchema;
  apollo: ApolloServer<RequestContext>;
  fastLane: FastLane;
  documents: PreparedDocuments;
  formatError: ReturnType<typeof createErrorFormatter>;
  recorder: OperationRecorder;
}

/** Builds and starts Apollo Server (started before the HTTP server exists, so no request meets it unready). */
export async function buildGraphQL(
  { config, log, metrics, tracing }: Foundation,
  { coordination }: { coordination: Coordination },
): Promise<GraphQLLayer> {
  const formatError = createErrorFormatter({ log, production: config.production });
  const recorder = new OperationRecorder(log, metrics, tracing ? annotateActiveOperation : undefined);
  const schema = await buildLipSyncSchema();
  const limits = queryLimits(config);
  const apollo = new ApolloServer<RequestContext>({
    schema,
    logger: log,
    formatError,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: !config.production,
    hideSchemaDetailsFromClientErrors: config.production,
    persistedQueries: { cache: coordination.apqCache },
    validationRules: limits.validationRules,
    parseOptions: { maxTokens: MAX_TOKENS },
    allowBatchedHttpRequests: false,
    plugins: [
      ...limits.plugins,
      observabilityPlugin(recorder),
      subscriptionsOverHttpPlugin(GRAPHQL_PATH),
      ...(config.federationTraces ? [] : [ApolloServerPluginInlineTraceDisabled()]),
      config.production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({
            embed: true,
            document: EXAMPLE_OPERATION,
            includeCookies: false,
          }),
    ],
  });
  await apollo.start();

  // One parse/validation cache for the fast lane and WebSockets. Introspection is refused here when it is off;
  // the fast lane leaves introspection operations to Apollo either way.
  const documents = new PreparedDocuments({
    schema,
    rules: config.introspection ? limits.validationRules : [...limits.validationRules, NoSchemaIntrospectionCustomRule],
    maxTokens: MAX_TOKENS,
  });
  const fastLane = new FastLane({
    schema,
    documents,
    formatError,
    recorder,
    production: config.production,
    metrics,
    // The prefix Apollo Server 5 gives its persisted-query keys (APQ_CACHE_PREFIX in @apollo/server's request pipeline).
    persistedQueries: new PrefixingKeyValueCache(coordination.apqCache, 'apq:'),
    log,
  });
  return { schema, apollo, fastLane, documents, formatError, recorder };
}
