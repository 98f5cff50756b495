import { ApolloServer } from '@apollo/server';
import { PrefixingKeyValueCache } from '@apollo/utils.keyvaluecache';
import {
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import type { Config } from './config';
import type { RequestContext, Services } from './context';
import { createCoordination } from './coordination';
import { AnonymousServiceSdlRule } from './graphql/anonymousServiceSdlRule';
import { EXAMPLE_OPERATION } from './graphql/exampleOperation';
import { createErrorFormatter } from './graphql/formatError';
import { FastLane } from './graphql/FastLane';
import { observabilityPlugin } from './graphql/observabilityPlugin';
import { OperationRecorder } from './graphql/OperationRecorder';
import { PreparedDocuments } from './graphql/PreparedDocuments';
import { startSubscriptionServer } from './graphql/subscriptionServer';
import { Authenticator } from './http/auth';
import { createGraphQLHttpHandler } from './http/graphqlHandler';
import { createMetricsRoute } from './http/metricsRoute';
import { createCallbackRoute } from './http/callbacks';
import { createDemoRoute, DEMO_MEDIA_PATH, DEMO_PATH, demoAppBuilt } from './http/demoRoute';
import { createRouter } from './http/router';
import { createLogger, type Logger } from './logger';
import { Metrics } from './metrics';
import { buildLipSyncSchema } from './schema';
import { CallbackUrls } from './services/CallbackUrls';
import { AdvancedLipSyncRules } from './services/AdvancedLipSyncRules';
import { FaceIdentification } from './services/FaceIdentification';
import { LipSyncService } from './services/LipSyncService';
import { QueueDispatcher } from './services/QueueDispatcher';
import { recoverTasks } from './services/recoverTasks';
import { TaskCallbacks } from './services/TaskCallbacks';
import { TaskReads } from './services/TaskReads';
import { TaskSubmitter, type TaskSubmitterOptions } from './services/TaskSubmitter';
import { RefreshDebounce } from './services/RefreshDebounce';
import { SubmissionReconciler } from './services/SubmissionReconciler';
import { TaskCountSampler } from './services/TaskCountSampler';
import { TaskDurations } from './services/TaskDurations';
import { TaskWatcher } from './services/TaskWatcher';
import { TenantCreateLimit } from './services/TenantCreateLimit';
import { VoiceCatalog } from './services/VoiceCatalog';
import { WebhookDeliveries } from './services/webhooks/WebhookDeliveries';
import { WebhookSecrets } from './services/webhooks/WebhookSecrets';
import { WebhookWorker } from './services/webhooks/WebhookWorker';
import { buildArchive } from './services/archive/buildArchive';
import { createTaskStore } from './store';
import type { TaskStore } from './store/TaskStore';
import { createKlingApi } from './upstream';
import { TokenBucketLimiter } from './upstream/RateLimiter';
import { annotateActiveOperation, traceGraphQLHttp } from './tracing/operationSpans';
import { startTracing } from './tracing/startTracing';
import { tracedExecution } from './tracing/subscriptionSpans';
import { traceStore } from './tracing/TracedTaskStore';
import { UpstreamSpans } from './tracing/upstreamSpans';
import { unitsFromMicro } from './domain/units';
import { TenantUnitBudget } from './services/TenantUnitBudget';
import { TenantUsage } from './services/TenantUsage';
import { subscriptionsOverHttpPlugin } from './graphql/subscriptionsOverHttpPlugin';

export const GRAPHQL_PATH = '/graphql';

/** audioFile may carry 5 MB of audio: about 6.7 MB of Base64, plus the rest of the request. */
const BODY_LIMIT = 8 * 1024 * 1024;
/** longest operation accepted, in tokens (a query limit like depth and cost) */
const MAX_TOKENS = 2000;

export interface ServerOverrides {
  /** where logs go (tests capture them); stdout otherwise */
  logDestination?: DestinationStream;
  now?: () => number;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:4000/graphql */
  url: string;
  /** e.g. ws://127.0.0.1:4000/graphql */
  wsUrl: string;
  /** http://host:port */
  origin: string;
  port: number;
  log: Logger;
  metrics: Metrics;
  store: TaskStore;
  watcher: TaskWatcher;
  listenerCount(): number;
  subscriberCount(): number;
  /** graceful: stop accepting, finish in-flight requests (up to the grace period), close sockets with 1001, close the store */
  stop(): Promise<void>;
}

/**
 * The composition root: config → store → coordination → upstream → services → GraphQL → HTTP/WebSocket.
 * Nothing else reads configuration or builds long-lived objects.
 */
export async function createServer(config: Config, overrides: ServerOverrides = {}): Promise<RunningServer> {
  const now = overrides.now ?? Date.now;
  const log = createLogger({
    level: config.logLevel,
    pretty: !config.production,
    destination: overrides.logDestination,
  });
  const metrics = new Metrics();
  // null when OTEL_* is unset: no SDK, no span, no wrapper below
  const tracing = await startTracing(config.tracing, log);
  const store = traceStore(await createTaskStore(config.databaseUrl), tracing?.tracer);
  const coordination = await createCoordination(config, log);
  // With the demo on, the simulated upstream's videos are the sample /demo serves, on this server's origin (known once listening).
  let mediaOrigin = config.publicUrl ?? '';
  const simulatedMediaBaseUrl = config.demo ? () => `${mediaOrigin}${DEMO_MEDIA_PATH}` : undefined;
  const kling = createKlingApi(config.upstream, {
    metrics,
    log,
    limiter: coordination.limiter,
    observer: tracing ? new UpstreamSpans(tracing.tracer) : undefined,
    simulatedMediaBaseUrl,
  });
  if (kling.kind === 'simulated') {
    log.warn('upstream: SIMULATED (set KLING_BASE_URL and credentials for the real API)');
  } else {
    log.info({ baseUrl: config.upstream.baseUrl, auth: config.upstream.auth?.kind }, 'upstream: Kling API');
  }
  if (config.outboundUrls.allowPrivate) {
    log.warn('ALLOW_PRIVATE_URLS=true: clients may give URLs on loopback, private and link-local hosts');
  }
  const callbackUrls = config.publicUrl ? await CallbackUrls.open(store, config.publicUrl) : null;

  const watcher = new TaskWatcher({
    store,
    kling,
    hub: coordination.hub,
    log,
    metrics,
    now,
    pollMinMs: config.pollMinMs,
    pollMaxMs: config.pollMaxMs,
    pollLease: coordination.pollLease,
    pollLeaseTtlMs: config.pollLeaseTtlMs,
    // Scheduled polls get at most half of the upstream budget; creates and reads keep the rest.
    pollPacer: new TokenBucketLimiter({ ratePerSecond: Math.max(1, config.upstream.rateLimitRps / 2) }),
    durations: new TaskDurations(),
    callbackSafetyPollMs: callbackUrls ? config.callbackSafetyPollMs : undefined,
  });
  // A submitter owns its row for every try it may make, each bounded by the timeout, plus backoff.
  const submitLeaseMs = config.upstream.timeoutMs * 3 + 30_000;
  const reconciler = new SubmissionReconciler({
    store,
    kling,
    watcher,
    log,
    now,
    leaseMs: submitLeaseMs,
    graceMs: config.submitGraceMs,
  });
  const voices = VoiceCatalog.bundled();
  const { submitter, dispatcher } = buildQueue(config.queue, {
    submitter: { store, kling, watcher, hub: coordination.hub, log, now, callbackUrls },
    metrics,
    submitLeaseMs,
  });
  const tasks = new TaskReads({
    store,
    watcher,
    hub: coordination.hub,
    dispatcher,
    log,
    metrics,
    now,
    freshnessMs: config.freshnessMs,
  });
  const callbacks = new TaskCallbacks({
    store,
    watcher,
    log,
    now,
    freshnessMs: config.freshnessMs,
    callbackDebounce: new RefreshDebounce({ windowMs: config.callbackDebounceMs, maxKeys: 100_000 }),
  });
  const budget = new TenantUnitBudget({ store, budgets: config.tenantMonthlyUnits, now });
  const createLimit = coordination.redis
    ? TenantCreateLimit.shared(coordination.redis, config.redisKeyPrefix, config.createsPerMinute)
    : TenantCreateLimit.inProcess(config.createsPerMinute);
  // Every units charged is counted once, by the instance whose write stored it (src/store/unitsCharged.ts).
  store.onUnitsCharged((record) =>
    metrics.unitsCharged.inc({ tenant: record.tenant }, unitsFromMicro(record.unitsChargedMicro ?? 0)),
  );
  const webhookSecrets = await WebhookSecrets.open({
    configured: config.webhooks.secret,
    production: config.production,
    store,
    databaseUrl: config.databaseUrl,
    log,
    rotationOverlapMs: config.webhooks.rotationOverlapMs,
    now,
  });
  const webhookWorker = new WebhookWorker({
    outbox: store.webhooks,
    secrets: webhookSecrets,
    hub: coordination.hub,
    log,
    metrics,
    now,
    policy: config.outboundUrls,
    timeoutMs: config.webhooks.timeoutMs,
    retryBaseMs: config.webhooks.retryBaseMs,
    maxAgeMs: config.webhooks.maxAgeMs,
    scanIntervalMs: config.webhooks.scanIntervalMs,
  });
  const archive = await buildArchive(config.archive, {
    store,
    hub: coordination.hub,
    log,
    metrics,
    now,
    policy: config.outboundUrls,
    origin: () => mediaOrigin,
    // the simulated upstream's videos are this server's own demo sample (never a client's URL)
    trustedPrefixes: () => (kling.kind === 'simulated' && simulatedMediaBaseUrl ? [`${simulatedMediaBaseUrl()}/`] : []),
  });
  const services: Services = {
    usage: new TenantUsage({ store, now }),
    archive: archive.links,
    voices,
    outboundUrls: config.outboundUrls,
    tasks,
    faces: new FaceIdentification({ store, kling, now, sessionTtlMs: config.faceSessionTtlMs, createLimit, budget }),
    webhooks: new WebhookDeliveries({
      outbox: store.webhooks,
      secrets: webhookSecrets,
      now,
      wake: () => webhookWorker.wake(),
    }),
    lipSync: new LipSyncService({
      store,
      reads: tasks,
      submitter,
      dispatcher,
      hub: coordination.hub,
      reconciler,
      voices,
      now,
      idempotencyTtlMs: config.idempotencyTtlMs,
      submitLeaseMs,
      createLimit,
      advancedRules: new AdvancedLipSyncRules({ store, now }),
      budget,
      webhooksEnabled: webhookSecrets.enabled,
    }),
  };

  const authenticator = new Authenticator({ tokens: config.authTokens, log, metrics });
  const contextFor = (tenant: string, idempotencyKey: string | null): RequestContext => ({
    tenant,
    services,
    idempotencyKey,
    warnings: [],
    upstreamRequestIds: [],
    cacheHints: [],
  });
  const formatError = createErrorFormatter({ log, production: config.production });
  const recorder = new OperationRecorder(log, metrics, tracing ? annotateActiveOperation : undefined);
  const schema = await buildLipSyncSchema();
  const armor = new ApolloArmor({
    maxDepth: { n: 12, ignoreIntrospection: true },
    costLimit: { maxCost: 5000, ignoreIntrospection: true },
    maxAliases: { n: 15 },
    // graphql-armor's token plugin re-parses inside a plugin hook, so a syntax error became a 500;
    // graphql-js counts tokens while parsing and reports a proper 400 (parseOptions below).
    maxTokens: { enabled: false },
    // Suggestions are removed on every path (fast lane and WebSocket too) by the shared formatter (src/graphql/formatError.ts).
    blockFieldSuggestion: { enabled: false },
  }).protect();
  const validationRules =
    config.production && !config.authTokens
      ? [...armor.validationRules, AnonymousServiceSdlRule]
      : armor.validationRules;
  const apollo = new ApolloServer<RequestContext>({
    schema,
    logger: log,
    formatError,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: !config.production,
    hideSchemaDetailsFromClientErrors: config.production,
    persistedQueries: { cache: coordination.apqCache },
    validationRules,
    parseOptions: { maxTokens: MAX_TOKENS },
    allowBatchedHttpRequests: false,
    plugins: [
      ...armor.plugins,
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

  const httpContext = (req: IncomingMessage) =>
    contextFor(authenticator.tenantOf(req.headers.authorization, 'http'), headerValue(req, 'idempotency-key'));
  // One parse/validation cache for the fast lane and WebSockets. Introspection is refused here when it is off;
  // the fast lane leaves introspection operations to Apollo either way.
  const documents = new PreparedDocuments({
    schema,
    rules: config.introspection ? validationRules : [...validationRules, NoSchemaIntrospectionCustomRule],
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
  const graphql = createGraphQLHttpHandler({
    server: apollo,
    bodyLimit: BODY_LIMIT,
    context: async (req: IncomingMessage) => httpContext(req),
    fastLane: (req, res, body, context) => fastLane.handle(req, res, body, context),
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
      graphql: tracing ? traceGraphQLHttp(tracing.tracer, GRAPHQL_PATH, graphql) : graphql,
      corsOrigins: config.corsOrigins,
      callback: createCallbackRoute({ urls: callbackUrls, callbacks }),
      metrics: createMetricsRoute({ metrics, token: config.metricsToken }),
      log,
      demo: config.demo ? createDemoRoute() : undefined,
      media: archive.mediaRoute,
      readinessChecks: { store: () => store.ping(), ...coordination.readinessChecks },
    }),
  );
  httpServer.maxConnections = config.maxConnections;
  const subscriptions = startSubscriptionServer({
    httpServer,
    schema,
    path: GRAPHQL_PATH,
    log,
    formatError,
    documents,
    recorder,
    maxPayload: BODY_LIMIT,
    maxSockets: config.wsMaxConnections,
    maxOperationsPerSocket: config.wsMaxOperationsPerSocket,
    execution: tracing ? tracedExecution(tracing.tracer) : undefined,
    context: (authorization) => contextFor(authenticator.tenantOf(authorization, 'ws'), null),
  });

  const port = await listen(httpServer, config.port, config.host);
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  mediaOrigin = config.publicUrl ?? origin;
  await recoverTasks({ store, watcher, reconciler, log });
  reconciler.start(config.reconcileIntervalMs);
  dispatcher.start();
  if (webhookSecrets.enabled) webhookWorker.start();
  await archive.start();
  const taskCounts = new TaskCountSampler({ store, metrics, log });
  await taskCounts.start(config.taskCountIntervalMs);
  log.info(
    { url: `${origin}${GRAPHQL_PATH}`, store: store.kind, redis: Boolean(config.redisUrl) },
    'lipsync-graph ready',
  );
  if (config.demo)
    log.info(
      { url: `${origin}${DEMO_PATH}` },
      demoAppBuilt() ? 'demo web app' : 'demo web app: not built (npm run build:web)',
    );

  /**
   * Shutdown, in order: background work that starts new upstream calls first, then the doors (HTTP drains within
   * the grace period while WebSockets close with 1001), then what the served requests used, the store last.
   */
  const shutdown: Array<[what: string, step: () => Promise<void>]> = [
    ['reconciler', () => reconciler.stop()],
    ['archive', () => archive.stop()],
    ['queue dispatcher', () => dispatcher.close()],
    ['task counts', () => taskCounts.stop()],
    // attempts in flight finish (each within WEBHOOK_TIMEOUT_MS) and are recorded before the store closes
    ['webhook worker', () => webhookWorker.close()],
    [
      'HTTP and WebSockets',
      async () => {
        const drained = closeHttp(httpServer, config.shutdownGraceMs);
        await subscriptions.close();
        await drained;
      },
    ],
    ['Apollo', () => apollo.stop()],
    ['watcher', () => watcher.close()],
    ['coordination', () => coordination.close()],
    ['upstream client', () => kling.close()],
    ['store', () => store.close()],
    // after the last span: shutting down flushes them
    ['tracing', async () => tracing?.shutdown()],
  ];
  let stopping: Promise<void> | null = null;
  return {
    url: `${origin}${GRAPHQL_PATH}`,
    wsUrl: `${origin.replace('http', 'ws')}${GRAPHQL_PATH}`,
    origin,
    port,
    log,
    metrics,
    store,
    watcher,
    listenerCount: () => coordination.hub.listenerCount(),
    subscriberCount: () => subscriptions.clientCount(),
    stop() {
      stopping ??= (async () => {
        log.info('shutting down: draining requests and subscriptions');
        for (const [what, step] of shutdown) {
          log.debug({ step: what }, 'stopping');
          await step();
        }
        log.info('stopped');
        await new Promise<void>((resolve) => log.flush(() => resolve()));
      })();
      return stopping;
    },
  };
}

/** The queue in front of Kling's concurrency limit: the submitter sends a task, the dispatcher decides when. */
function buildQueue(
  queue: Config['queue'],
  deps: { submitter: TaskSubmitterOptions; metrics: Metrics; submitLeaseMs: number },
): { submitter: TaskSubmitter; dispatcher: QueueDispatcher } {
  const { store, hub, log, now } = deps.submitter;
  const submitter = new TaskSubmitter(deps.submitter);
  const dispatcher = new QueueDispatcher({
    store,
    hub,
    log,
    metrics: deps.metrics,
    now,
    maxConcurrent: queue.maxConcurrent,
    maxWaitMs: queue.maxWaitMs,
    submitLeaseMs: deps.submitLeaseMs,
    submit: (claimed) => void submitter.submitClaimed(claimed),
  });
  submitter.reportTo(dispatcher);
  return { submitter, dispatcher };
}

function headerValue(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first && first.trim() !== '' ? first.trim() : null;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Stops accepting, lets in-flight requests finish within the grace period, then cuts what is left.
 * Keep-alive connections become idle only after their last answer, so idle ones are swept until done.
 */
function closeHttp(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
    deadline.unref();
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}
