import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import type { Coordination } from '../coordination';
import { startSubscriptionServer, type SubscriptionServer } from '../graphql/subscriptionServer';
import { createCallbackRoute } from '../http/callbacks';
import { createDemoRoute } from '../http/demoRoute';
import { createGraphQLHttpHandler } from '../http/graphqlHandler';
import { createMetricsRoute } from '../http/metricsRoute';
import { createRouter } from '../http/router';
import type { ArchiveParts } from '../services/archive/buildArchive';
import type { TaskStore } from '../store/TaskStore';
import { traceGraphQLHttp } from '../tracing/operationSpans';
import { tracedExecution } from '../tracing/subscriptionSpans';
import type { GraphQLLayer } from './buildGraphQL';
import type { TaskServices } from './buildTaskServices';
import type { Foundation } from './Foundation';
import type { RequestContexts } from './requestContext';
import { BODY_LIMIT, GRAPHQL_PATH } from './servingLimits';

/** The doors: one node:http server (GraphQL, callbacks, metrics, demo, media, health) and graphql-ws on its path. */
export interface HttpLayer {
  httpServer: Server;
  subscriptions: SubscriptionServer;
}

/** Builds the doors without opening them: listening is a step of its own (./httpLifecycle.ts). */
export function buildHttpLayer(
  { config, log, metrics, tracing }: Foundation,
  deps: {
    graphql: GraphQLLayer;
    contexts: RequestContexts;
    store: TaskStore;
    coordination: Coordination;
    tasks: TaskServices;
    archive: ArchiveParts;
  },
): HttpLayer {
  const { graphql, contexts, store, coordination, tasks } = deps;
  const graphqlHandler = createGraphQLHttpHandler({
    server: graphql.apollo,
    bodyLimit: BODY_LIMIT,
    context: async (req: IncomingMessage) => contexts.http(req),
    fastLane: (req, res, body, context) => graphql.fastLane.handle(req, res, body, context),
  });
  const httpServer = createHttpServer(
    {
      keepAliveTimeout: 65_000,
      headersTimeout: config.httpHeadersTimeoutMs,
      requestTimeout: config.httpRequestTimeoutMs,
      // Node checks both timeouts on this interval (30 s by default, which would stretch them by up to 30 s).
      connectionsCheckingInterval: Math.max(
        100,
        Math.min(config.httpHeadersTimeoutMs, config.httpRequestTimeoutMs) / 4,
      ),
    },
    createRouter({
      graphqlPath: GRAPHQL_PATH,
      graphql: tracing ? traceGraphQLHttp(tracing.tracer, GRAPHQL_PATH, graphqlHandler) : graphqlHandler,
      corsOrigins: config.corsOrigins,
      callback: createCallbackRoute({ urls: tasks.callbackUrls, callbacks: tasks.callbacks }),
      metrics: createMetricsRoute({ metrics, token: config.metricsToken }),
      log,
      demo: config.demo ? createDemoRoute() : undefined,
      media: deps.archive.mediaRoute,
      readinessChecks: { store: () => store.ping(), ...coordination.readinessChecks },
    }),
  );
  httpServer.maxConnections = config.maxConnections;
  const subscriptions = startSubscriptionServer({
    httpServer,
    schema: graphql.schema,
    path: GRAPHQL_PATH,
    log,
    formatError: graphql.formatError,
    documents: graphql.documents,
    recorder: graphql.recorder,
    maxPayload: BODY_LIMIT,
    maxSockets: config.wsMaxConnections,
    maxOperationsPerSocket: config.wsMaxOperationsPerSocket,
    execution: tracing ? tracedExecution(tracing.tracer) : undefined,
    context: (authorization) => contexts.ws(authorization),
  });
  return { httpServer, subscriptions };
}
