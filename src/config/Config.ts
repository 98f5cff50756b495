import type { ArchiveConfig } from './archive';
import type { QueueConfig } from './queue';
import type { TracingConfig } from './tracing';
import type { UpstreamConfig } from './upstream';
import type { WebhookConfig } from './webhooks';

/** Everything the server is configured with, typed and frozen (built by loadConfig in ./index.ts). */
export interface Config {
  port: number;
  host: string;
  production: boolean;
  logLevel: string;
  /** '*' or a list of origins; empty = no CORS headers */
  corsOrigins: '*' | string[];
  introspection: boolean;
  publicUrl: string | null;
  databaseUrl: string;
  redisUrl: string | null;
  /** prepended to every Redis key and channel, so several deployments (or test runs) can share one Redis */
  redisKeyPrefix: string;
  /** token → tenant; null = open, single tenant `default` */
  authTokens: ReadonlyMap<string, string> | null;
  upstream: UpstreamConfig;
  /** a stored non-terminal task older than this is refreshed from upstream on read */
  freshnessMs: number;
  idempotencyTtlMs: number;
  /** watcher poll backoff: first delay and cap */
  pollMinMs: number;
  pollMaxMs: number;
  /** how often orphaned `submitting` rows are looked at */
  reconcileIntervalMs: number;
  shutdownGraceMs: number;
  /** inline ftv1 traces for a federation router that asks for them */
  federationTraces: boolean;
  /** Bearer token /metrics asks for; null = open */
  metricsToken: string | null;
  /** how often lipsync_tasks_total is recounted (a scrape never counts) */
  taskCountIntervalMs: number;
  /** slow clients: a request's headers, and the whole request, must arrive within these */
  httpHeadersTimeoutMs: number;
  httpRequestTimeoutMs: number;
  /** open TCP connections at most (upgraded WebSockets included); more are dropped */
  maxConnections: number;
  /** open WebSockets at most; more upgrades are refused */
  wsMaxConnections: number;
  /** operations in progress on one WebSocket at most */
  wsMaxOperationsPerSocket: number;
  /** creates per tenant per minute (cluster-wide with Redis) */
  createsPerMinute: number;
  /** which URLs clients may give and this server may call (src/domain/outboundUrl.ts) */
  outboundUrls: { allowHttp: boolean; allowPrivate: boolean };
  /**
   * how long after a submission began a miss in Kling's task list still means "not listed yet" rather than
   * "never accepted": until then a row whose create timed out stays `submitting` and is never submitted again
   */
  submitGraceMs: number;
  /** a poll lease's lifetime (Redis): renewed on its own timer, so another instance takes over this soon after the holder dies */
  pollLeaseTtlMs: number;
  tracing: TracingConfig;
  /** serve the demo web app (examples/web) at /demo, and the simulated upstream's sample video; default: outside production */
  demo: boolean;
  queue: QueueConfig;
  /** with PUBLIC_URL callbacks, a task past the longest duration seen is still polled this often (never below POLL_MAX_MS) */
  callbackSafetyPollMs: number;
  /** a burst of callbacks for one task costs one upstream read per this window */
  callbackDebounceMs: number;
  /** how long this server accepts an identify-face session for advanced lip-sync (FACE_SESSION_TTL_HOURS) */
  faceSessionTtlMs: number;
  /** TENANT_MONTHLY_UNITS: tenant → units per calendar month (UTC), in whole millionths; tenants not named have no budget */
  tenantMonthlyUnits: ReadonlyMap<string, number>;
  /** the result archive (src/services/archive/) */
  archive: ArchiveConfig;
  webhooks: WebhookConfig;
}
