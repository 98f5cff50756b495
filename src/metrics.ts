import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus series the server exposes, on a registry of its own so that several servers
 * (tests) can live in one process. Label values are bounded: operation names are capped by the
 * caller, upstream endpoints and codes come from fixed sets.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly operations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations by name and outcome',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly operationDuration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'Time to execute one GraphQL operation',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly upstreamRequests = new Counter({
    name: 'upstream_requests_total',
    help: 'Requests to the Kling API by endpoint and envelope code (or transport failure)',
    labelNames: ['endpoint', 'code'] as const,
    registers: [this.registry],
  });

  readonly upstreamDuration = new Histogram({
    name: 'upstream_request_duration_seconds',
    help: 'Time for one request to the Kling API',
    labelNames: ['endpoint'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly tasks = new Gauge({
    name: 'lipsync_tasks_total',
    help: 'Stored lip-sync tasks by state, recounted on a timer (never by a scrape)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly subscriptionsActive = new Gauge({
    name: 'subscriptions_active',
    help: 'Open lipSyncTaskUpdated subscriptions',
    registers: [this.registry],
  });

  readonly watchersActive = new Gauge({
    name: 'watchers_active',
    help: 'Tasks whose upstream status is being followed',
    registers: [this.registry],
  });

  readonly authFailures = new Counter({
    name: 'auth_failures_total',
    help: 'Requests and WebSocket connections refused for a missing or unknown client token',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'lipsync_queue_depth',
    help: 'Tasks QUEUED here, waiting for a concurrency slot at the upstream (sampled on a timer)',
    registers: [this.registry],
  });

  readonly queueOldestAgeSeconds = new Gauge({
    name: 'lipsync_queue_oldest_age_seconds',
    help: 'How long the oldest QUEUED task has waited (0 when the queue is empty)',
    registers: [this.registry],
  });

  readonly liveUpstreamTasks = new Gauge({
    name: 'lipsync_upstream_live_tasks',
    help: 'Tasks holding a concurrency slot at the upstream (being submitted, submitted or processing), cluster-wide',
    registers: [this.registry],
  });

  readonly maxConcurrentTasks = new Gauge({
    name: 'lipsync_upstream_max_concurrent_tasks',
    help: 'The local cap KLING_MAX_CONCURRENT_TASKS (-1 when unset: no local cap)',
    registers: [this.registry],
  });

  readonly upstreamConcurrencyRefusals = new Counter({
    name: 'lipsync_upstream_concurrency_refusals_total',
    help: 'Creates the upstream refused for its concurrency or rate limit (1302/1303); the task went back to the queue',
    registers: [this.registry],
  });

  /** which path answered: the fast lane's share of graphql_operations_total (src/graphql/FastLane.ts) */
  readonly fastLaneAnswers = new Counter({
    name: 'graphql_fast_lane_answers_total',
    help: "GraphQL operations answered by the fast lane rather than Apollo Server's pipeline",
    registers: [this.registry],
  });

  /**
   * Counted once per task, by the instance whose write first stored its units (src/store/unitsCharged.ts): the
   * sum over instances is what the upstream charged. `tenant` is bounded: tenants come from AUTH_TOKENS.
   */
  readonly unitsCharged = new Counter({
    name: 'lipsync_units_charged_total',
    help: "Upstream units charged for tasks (Kling's final_unit_deduction), by tenant",
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  });

  /** webhook attempts by what came of them (src/services/webhooks/WebhookWorker.ts) */
  readonly webhookAttempts = new Counter({
    name: 'lipsync_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome: delivered (2xx), retry (will be tried again), failed (gave up), gone (410)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /** the result archive (src/services/archive/Archiver.ts): one per download tried, by how it ended */
  readonly archiveDownloads = new Counter({
    name: 'lipsync_archive_downloads_total',
    help: 'Result video downloads into the archive, by outcome (archived, retry, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookOutboxDepth = new Gauge({
    name: 'lipsync_webhook_outbox_depth',
    help: 'Webhook deliveries still pending, cluster-wide (sampled on the outbox scan timer)',
    registers: [this.registry],
  });

  readonly archivedBytes = new Counter({
    name: 'lipsync_archive_bytes_total',
    help: 'Bytes copied into the archive',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Records one upstream request; `code` is the envelope code or a transport failure name (timeout, reset, non_json). */
  observeUpstream(endpoint: UpstreamEndpoint, code: string, seconds: number): void {
    this.upstreamRequests.inc({ endpoint, code });
    this.upstreamDuration.observe({ endpoint }, seconds);
  }
}

export type UpstreamEndpoint =
  | 'create'
  | 'get'
  | 'list'
  /** advanced lip-sync (docs/kling.md): its own endpoint family, and identify-face */
  | 'advanced_create'
  | 'advanced_get'
  | 'advanced_list'
  | 'identify_face';
