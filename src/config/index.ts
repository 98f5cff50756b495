import { archiveConfig } from './archive';
import { clientTokens } from './clientTokens';
import type { Config } from './Config';
import { ConfigError } from './ConfigError';
import { corsOrigins } from './cors';
import { queueConfig } from './queue';
import { tracingConfig } from './tracing';
import { unitBudgets } from './unitBudgets';
import { upstreamConfig } from './upstream';
import { parseVariables } from './variables';
import { webhookConfig } from './webhooks';

export type { ArchiveConfig } from './archive';
export type { Config } from './Config';
export type { QueueConfig } from './queue';
export type { OtlpProtocol, TracingConfig } from './tracing';
export type { KlingAuth, UpstreamConfig } from './upstream';
export type { WebhookConfig } from './webhooks';
export { CONFIG_VARIABLES } from './variables';
export { ConfigError };

/**
 * Reads and validates the environment once; the result is frozen and is the only way code sees configuration.
 * The checks run in this order (the fields below included), so the first problem reported never changes.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const v = parseVariables(env);
  const production = v.NODE_ENV === 'production';
  if (v.POLL_MAX_MS < v.POLL_MIN_MS) throw new ConfigError('POLL_MAX_MS', 'must not be below POLL_MIN_MS');
  if (v.HTTP_HEADERS_TIMEOUT_MS > v.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS', 'must not be above HTTP_REQUEST_TIMEOUT_MS');
  }
  const authTokens = clientTokens(v, production);
  return Object.freeze({
    port: v.PORT,
    host: v.HOST,
    production,
    logLevel: v.LOG_LEVEL,
    corsOrigins: corsOrigins(v, production),
    introspection: v.GRAPHQL_INTROSPECTION ? v.GRAPHQL_INTROSPECTION === 'true' : !production,
    publicUrl: v.PUBLIC_URL ?? null,
    databaseUrl: v.DATABASE_URL,
    redisUrl: v.REDIS_URL ?? null,
    redisKeyPrefix: v.REDIS_KEY_PREFIX,
    authTokens,
    upstream: upstreamConfig(v),
    freshnessMs: v.TASK_FRESHNESS_MS,
    idempotencyTtlMs: Math.round(v.IDEMPOTENCY_TTL_HOURS * 3_600_000),
    pollMinMs: v.POLL_MIN_MS,
    pollMaxMs: v.POLL_MAX_MS,
    reconcileIntervalMs: v.RECONCILE_INTERVAL_MS,
    shutdownGraceMs: v.SHUTDOWN_GRACE_MS,
    federationTraces: v.FEDERATION_TRACES ? v.FEDERATION_TRACES === 'true' : !production,
    metricsToken: v.METRICS_TOKEN ?? null,
    taskCountIntervalMs: v.TASK_COUNT_INTERVAL_MS,
    httpHeadersTimeoutMs: v.HTTP_HEADERS_TIMEOUT_MS,
    httpRequestTimeoutMs: v.HTTP_REQUEST_TIMEOUT_MS,
    maxConnections: v.MAX_CONNECTIONS,
    wsMaxConnections: v.WS_MAX_CONNECTIONS,
    wsMaxOperationsPerSocket: v.WS_MAX_OPERATIONS_PER_SOCKET,
    createsPerMinute: v.RATE_LIMIT_CREATES_PER_MINUTE,
    outboundUrls: Object.freeze({
      allowHttp: v.ALLOW_HTTP_MEDIA_URLS === 'true',
      allowPrivate: v.ALLOW_PRIVATE_URLS === 'true',
    }),
    submitGraceMs: v.SUBMIT_GRACE_MS,
    pollLeaseTtlMs: v.POLL_LEASE_TTL_MS,
    tracing: tracingConfig(v),
    demo: v.DEMO ? v.DEMO === 'true' : !production,
    queue: queueConfig(v),
    callbackSafetyPollMs: Math.max(v.CALLBACK_SAFETY_POLL_MS, v.POLL_MAX_MS),
    callbackDebounceMs: v.CALLBACK_DEBOUNCE_MS,
    faceSessionTtlMs: Math.round(v.FACE_SESSION_TTL_HOURS * 3_600_000),
    tenantMonthlyUnits: unitBudgets(v, authTokens),
    webhooks: webhookConfig(v),
    archive: archiveConfig(v, env),
  });
}
