import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { microUnitsFromDecimal } from './domain/units';

/** Kling credentials: aggregator style (static key) or Kling direct (access key + secret key, signed JWT). */
export type KlingAuth = { kind: 'apiKey'; apiKey: string } | { kind: 'jwt'; accessKey: string; secretKey: string };

export interface UpstreamConfig {
  /** null = the built-in simulated upstream */
  baseUrl: string | null;
  auth: KlingAuth | null;
  timeoutMs: number;
  rateLimitRps: number;
  /** open sockets to the upstream at most (one keep-alive agent) */
  maxSockets: number;
  /** circuit breaker: outages in a row (within 30 s) that open it, and how long it stays open; default 10 and 30 s */
  breaker?: { failures: number; halfOpenAfterMs: number };
  /** the simulated upstream's concurrency limit (SIMULATED_MAX_CONCURRENT): it answers 1303 beyond it */
  simulatedMaxConcurrent?: number;
}

/** The queue in front of Kling's concurrency limit (src/services/QueueDispatcher.ts). */
export interface QueueConfig {
  /** live Kling tasks at most (KLING_MAX_CONCURRENT_TASKS); null = no local cap */
  maxConcurrent: number | null;
  /** QUEUE_MAX_WAIT_MINUTES in ms */
  maxWaitMs: number;
}

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

/** Webhooks to clients' callbackUrls (src/services/webhooks/). */
export interface WebhookConfig {
  /** WEBHOOK_SECRET, the root of every tenant's signing secret; null = generated once (outside production) or off */
  secret: string | null;
  /** after a rotation, the previous secret keeps signing this long */
  rotationOverlapMs: number;
  /** a delivery is retried until this long after its event, then FAILED */
  maxAgeMs: number;
  /** one attempt, connecting included */
  timeoutMs: number;
  /** the first retry's delay; the later ones keep their ratio to it (5 s, 30 s, 2 min, 10 min, 30 min, 1 h) */
  retryBaseMs: number;
  /** how often the outbox is looked at for due deliveries without any event */
  scanIntervalMs: number;
}

/** Where succeeded tasks' videos are copied, and how (ARCHIVE, ARCHIVE_*, MEDIA_URL_TTL_SECONDS). */
export interface ArchiveConfig {
  mode: 'fs' | 's3' | 'off';
  /** fs: the directory the copies live in (ARCHIVE_DIR; default beside the SQLite file, else ./data/media) */
  dir: string;
  /** s3: the bucket and how to reach it; credentials come from the AWS SDK's usual sources */
  s3: { bucket: string; endpoint: string | null; region: string; forcePathStyle: boolean } | null;
  /** a download larger than this is stopped and the video marked FAILED */
  maxBytes: number;
  /** one download, start to end */
  timeoutMs: number;
  /** null = retried until the upstream's copy expires (docs/kling.md, "Retention") */
  maxAttempts: number | null;
  /** the first retry's delay; it doubles up to 6 hours */
  retryMinMs: number;
  /** downloads at once per instance */
  concurrency: number;
  /** archived files older than this are deleted; null = kept */
  retentionMs: number | null;
  /** how long a signed media URL (or an S3 presigned one) works */
  mediaUrlTtlSeconds: number;
}

/**
 * OpenTelemetry: only whether to trace and which OTLP/HTTP encoding; the SDK reads the rest of the standard
 * OTEL_* variables itself (endpoint, headers, sampler, batching, service name), as every OTel SDK does.
 */
export interface TracingConfig {
  /** an OTLP endpoint is set (or OTEL_TRACES_EXPORTER=otlp), and neither OTEL_SDK_DISABLED nor OTEL_TRACES_EXPORTER=none */
  enabled: boolean;
  protocol: OtlpProtocol;
}

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

const httpUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL such as https://api-singapore.klingai.com')
  .transform((value) => value.replace(/\/+$/, ''));

const positiveInt = (max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n > 0 && n <= max, `must be between 1 and ${max}`);

const positiveNumber = z
  .string()
  .trim()
  .refine((value) => value !== '' && Number.isFinite(Number(value)) && Number(value) > 0, 'must be a positive number')
  .transform(Number);

const nonEmpty = z.string().trim().min(1, 'must not be empty');

const databaseUrl = z
  .string()
  .trim()
  .refine(
    (value) => value.startsWith('file:') || value.startsWith('postgres://') || value.startsWith('postgresql://'),
    'must be file:<path> (SQLite) or postgres://… (PostgreSQL)',
  );

const otlpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:4318' });

const otlpProtocol = z.enum(
  ['http/protobuf', 'http/json'],
  'must be http/protobuf or http/json (grpc is not supported)',
);

/** `tenant=token` pairs, token → tenant. A token given twice would make its tenant a matter of order: refused. */
function parseTokenPairs(pairs: readonly string[], expected: string): ReadonlyMap<string, string> | string {
  const tokens = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const tenant = pair.slice(0, eq).trim();
    const token = pair.slice(eq + 1).trim();
    if (eq <= 0 || !tenant || !token) return `must be ${expected}`;
    const holder = tokens.get(token);
    if (holder !== undefined)
      return `gives one token twice (tenants ${holder} and ${tenant}): every token must be unique`;
    tokens.set(token, tenant);
  }
  return tokens.size === 0 ? 'must name at least one tenant=token' : tokens;
}

const authTokens = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const parsed = parseTokenPairs(
      value
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
      'tenant=token[,tenant=token…]',
    );
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    }
    return parsed;
  });

/** TENANT_MONTHLY_UNITS: `tenant=units` pairs (units a decimal such as 250 or 99.5), tenant → whole millionths. */
const tenantMonthlyUnits = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const budgets = new Map<string, number>();
    for (const pair of value.split(',').map((p) => p.trim())) {
      const eq = pair.indexOf('=');
      const tenant = pair.slice(0, eq).trim();
      const units = microUnitsFromDecimal(pair.slice(eq + 1));
      const problem =
        eq <= 0 || !tenant || units === null
          ? 'must be tenant=units[,tenant=units…] with units a number such as 250 or 99.5'
          : budgets.has(tenant)
            ? `gives tenant ${tenant} two budgets`
            : null;
      if (problem) {
        ctx.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
      budgets.set(tenant, units as number);
    }
    return budgets;
  });

/** A budget for a tenant no token belongs to is a typo that would leave the real tenant without one. */
function unitBudgets(v: Variables, tokens: ReadonlyMap<string, string> | null): ReadonlyMap<string, number> {
  const budgets = v.TENANT_MONTHLY_UNITS ?? new Map<string, number>();
  const tenants = new Set(tokens ? tokens.values() : ['default']);
  const unknown = [...budgets.keys()].find((tenant) => !tenants.has(tenant));
  if (unknown !== undefined) {
    throw new ConfigError(
      'TENANT_MONTHLY_UNITS',
      `names tenant ${unknown}, which no client token belongs to (without AUTH_TOKENS the only tenant is default)`,
    );
  }
  return budgets;
}

/** AUTH_TOKENS_FILE: one `tenant=token` a line; blank lines and `#` comments are skipped. */
function readTokenFile(file: string): ReadonlyMap<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('AUTH_TOKENS_FILE', `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const parsed = parseTokenPairs(lines, 'one tenant=token a line');
  if (typeof parsed === 'string') throw new ConfigError('AUTH_TOKENS_FILE', parsed);
  return parsed;
}

/** Client tokens from AUTH_TOKENS or AUTH_TOKENS_FILE; production refuses to run open unless told so. */
function clientTokens(v: Variables, production: boolean): ReadonlyMap<string, string> | null {
  if (v.AUTH_TOKENS && v.AUTH_TOKENS_FILE)
    throw new ConfigError('AUTH_TOKENS', 'and AUTH_TOKENS_FILE are two sources of tokens: set one');
  const tokens = v.AUTH_TOKENS ?? (v.AUTH_TOKENS_FILE ? readTokenFile(v.AUTH_TOKENS_FILE) : null);
  if (!tokens && production && v.ALLOW_ANONYMOUS !== 'true') {
    throw new ConfigError(
      'AUTH_TOKENS',
      'or AUTH_TOKENS_FILE must be set in production (or ALLOW_ANONYMOUS=true to serve without client tokens)',
    );
  }
  return tokens;
}

/** One schema per variable, so an error always names the variable it came from. */
const variables = {
  PORT: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a port number (0–65535)')
    .transform(Number)
    .refine((n) => n <= 65535, 'must be a port number (0–65535)')
    .default(4000),
  HOST: nonEmpty.default('0.0.0.0'),
  NODE_ENV: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CORS_ORIGINS: z.string().optional(),
  GRAPHQL_INTROSPECTION: z.enum(['true', 'false']).optional(),
  PUBLIC_URL: httpUrl.optional(),
  DATABASE_URL: databaseUrl.default('file:./data/lipsync.db'),
  REDIS_URL: z
    .string()
    .trim()
    .refine((v) => v.startsWith('redis://') || v.startsWith('rediss://'), 'must be redis://host:port')
    .optional(),
  REDIS_KEY_PREFIX: nonEmpty.default('lipsync:'),
  AUTH_TOKENS: authTokens.optional(),
  KLING_BASE_URL: httpUrl.optional(),
  KLING_API_KEY: nonEmpty.optional(),
  KLING_ACCESS_KEY: nonEmpty.optional(),
  KLING_SECRET_KEY: nonEmpty.optional(),
  KLING_TIMEOUT_MS: positiveInt().default(30_000),
  KLING_RATE_LIMIT_RPS: positiveNumber.default(10),
  KLING_MAX_SOCKETS: positiveInt(10_000).default(64),
  TASK_FRESHNESS_MS: positiveInt().default(2_000),
  IDEMPOTENCY_TTL_HOURS: positiveNumber.default(24),
  POLL_MIN_MS: positiveInt().default(1_000),
  POLL_MAX_MS: positiveInt().default(15_000),
  RECONCILE_INTERVAL_MS: positiveInt().default(30_000),
  SHUTDOWN_GRACE_MS: positiveInt().default(10_000),
  AUTH_TOKENS_FILE: nonEmpty.optional(),
  ALLOW_ANONYMOUS: z.enum(['true', 'false']).optional(),
  FEDERATION_TRACES: z.enum(['true', 'false']).optional(),
  METRICS_TOKEN: nonEmpty.optional(),
  TASK_COUNT_INTERVAL_MS: positiveInt().default(15_000),
  HTTP_HEADERS_TIMEOUT_MS: positiveInt().default(20_000),
  HTTP_REQUEST_TIMEOUT_MS: positiveInt().default(60_000),
  MAX_CONNECTIONS: positiveInt().default(25_000),
  WS_MAX_CONNECTIONS: positiveInt().default(20_000),
  WS_MAX_OPERATIONS_PER_SOCKET: positiveInt().default(100),
  KLING_BREAKER_FAILURES: positiveInt(1_000).default(10),
  KLING_BREAKER_OPEN_MS: positiveInt(30_000).default(30_000),
  RATE_LIMIT_CREATES_PER_MINUTE: positiveInt().default(60),
  ALLOW_HTTP_MEDIA_URLS: z.enum(['true', 'false']).default('false'),
  ALLOW_PRIVATE_URLS: z.enum(['true', 'false']).default('false'),
  SUBMIT_GRACE_MS: positiveInt().default(300_000),
  POLL_LEASE_TTL_MS: positiveInt()
    .refine((n) => n >= 1_000, 'must be at least 1000')
    .default(10_000),
  OTEL_SDK_DISABLED: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false']))
    .optional(),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none'], 'must be otlp or none').optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.optional(),
  DEMO: z.enum(['true', 'false']).optional(),
  KLING_MAX_CONCURRENT_TASKS: positiveInt(100_000).optional(),
  QUEUE_MAX_WAIT_MINUTES: positiveNumber.default(1440),
  SIMULATED_MAX_CONCURRENT: positiveInt(100_000).default(3),
  CALLBACK_SAFETY_POLL_MS: positiveInt().default(60_000),
  CALLBACK_DEBOUNCE_MS: positiveInt().default(5_000),
  FACE_SESSION_TTL_HOURS: positiveNumber.default(24),
  TENANT_MONTHLY_UNITS: tenantMonthlyUnits.optional(),
  WEBHOOK_SECRET: z.string().trim().min(32, 'must be at least 32 characters').optional(),
  WEBHOOK_ROTATION_OVERLAP_HOURS: positiveNumber.default(24),
  WEBHOOK_MAX_AGE_HOURS: positiveNumber.default(24),
  WEBHOOK_TIMEOUT_MS: positiveInt().default(10_000),
  WEBHOOK_RETRY_BASE_MS: positiveInt().default(5_000),
  WEBHOOK_SCAN_INTERVAL_MS: positiveInt().default(1_000),
  ARCHIVE: z.enum(['fs', 's3', 'off'], 'must be fs, s3 or off').default('fs'),
  ARCHIVE_DIR: nonEmpty.optional(),
  ARCHIVE_S3_BUCKET: nonEmpty.optional(),
  ARCHIVE_S3_ENDPOINT: httpUrl.optional(),
  ARCHIVE_S3_REGION: nonEmpty.optional(),
  ARCHIVE_S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
  ARCHIVE_MAX_BYTES: positiveInt().default(500_000_000),
  ARCHIVE_TIMEOUT_MS: positiveInt().default(600_000),
  ARCHIVE_MAX_ATTEMPTS: positiveInt(10_000).optional(),
  ARCHIVE_RETRY_MIN_MS: positiveInt().default(30_000),
  ARCHIVE_CONCURRENCY: positiveInt(64).default(2),
  ARCHIVE_RETENTION_DAYS: positiveNumber.optional(),
  MEDIA_URL_TTL_SECONDS: positiveInt(7 * 24 * 3600).default(3600),
} satisfies Record<string, z.ZodType>;

/** Every variable the server reads (.env.example lists each; test/server/env-example.test.ts holds it to that). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(variables);

type Variables = { [K in keyof typeof variables]: z.output<(typeof variables)[K]> };

function parseVariables(env: NodeJS.ProcessEnv): Variables {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(variables)) {
    const raw = env[name];
    // An empty variable is the same as an unset one (a common artefact of .env files and compose).
    const result = (schema as z.ZodType).safeParse(raw === '' ? undefined : raw);
    if (!result.success) throw new ConfigError(name, result.error.issues[0]?.message ?? 'is invalid');
    out[name] = result.data;
  }
  return out as Variables;
}

function upstreamAuth(v: Variables): KlingAuth | null {
  if (v.KLING_ACCESS_KEY && !v.KLING_SECRET_KEY)
    throw new ConfigError('KLING_SECRET_KEY', 'must be set with KLING_ACCESS_KEY');
  if (v.KLING_SECRET_KEY && !v.KLING_ACCESS_KEY)
    throw new ConfigError('KLING_ACCESS_KEY', 'must be set with KLING_SECRET_KEY');
  const hasKeyPair = Boolean(v.KLING_ACCESS_KEY && v.KLING_SECRET_KEY);
  if (hasKeyPair && v.KLING_API_KEY) {
    throw new ConfigError('KLING_API_KEY', 'and KLING_ACCESS_KEY/KLING_SECRET_KEY are two auth styles: set one');
  }
  const hasCredentials = hasKeyPair || Boolean(v.KLING_API_KEY);
  if (hasCredentials && !v.KLING_BASE_URL)
    throw new ConfigError('KLING_BASE_URL', 'must be set when Kling credentials are set');
  if (v.KLING_BASE_URL && !hasCredentials) {
    throw new ConfigError('KLING_API_KEY', 'or KLING_ACCESS_KEY + KLING_SECRET_KEY must be set with KLING_BASE_URL');
  }
  if (v.KLING_API_KEY) return { kind: 'apiKey', apiKey: v.KLING_API_KEY };
  if (v.KLING_ACCESS_KEY && v.KLING_SECRET_KEY) {
    return { kind: 'jwt', accessKey: v.KLING_ACCESS_KEY, secretKey: v.KLING_SECRET_KEY };
  }
  return null;
}

function tracing(v: Variables): TracingConfig {
  const endpoint = v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? v.OTEL_EXPORTER_OTLP_ENDPOINT;
  const wanted = v.OTEL_TRACES_EXPORTER === 'otlp' || (endpoint !== undefined && v.OTEL_TRACES_EXPORTER !== 'none');
  return Object.freeze({
    enabled: wanted && v.OTEL_SDK_DISABLED !== 'true',
    // the OTLP specification's default encoding
    protocol: v.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? v.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
  });
}

function corsOrigins(v: Variables, production: boolean): '*' | string[] {
  if (v.CORS_ORIGINS === undefined) return production ? [] : '*';
  const trimmed = v.CORS_ORIGINS.trim();
  if (trimmed === '*') return '*';
  return trimmed
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
}

/** Reads and validates the environment once; the result is frozen and is the only way code sees configuration. */
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
    upstream: Object.freeze({
      baseUrl: v.KLING_BASE_URL ?? null,
      auth: upstreamAuth(v),
      timeoutMs: v.KLING_TIMEOUT_MS,
      rateLimitRps: v.KLING_RATE_LIMIT_RPS,
      maxSockets: v.KLING_MAX_SOCKETS,
      breaker: { failures: v.KLING_BREAKER_FAILURES, halfOpenAfterMs: v.KLING_BREAKER_OPEN_MS },
      simulatedMaxConcurrent: v.SIMULATED_MAX_CONCURRENT,
    }),
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
    tracing: tracing(v),
    demo: v.DEMO ? v.DEMO === 'true' : !production,
    queue: Object.freeze({
      maxConcurrent: v.KLING_MAX_CONCURRENT_TASKS ?? null,
      maxWaitMs: Math.round(v.QUEUE_MAX_WAIT_MINUTES * 60_000),
    }),
    callbackSafetyPollMs: Math.max(v.CALLBACK_SAFETY_POLL_MS, v.POLL_MAX_MS),
    callbackDebounceMs: v.CALLBACK_DEBOUNCE_MS,
    faceSessionTtlMs: Math.round(v.FACE_SESSION_TTL_HOURS * 3_600_000),
    tenantMonthlyUnits: unitBudgets(v, authTokens),
    webhooks: Object.freeze({
      secret: v.WEBHOOK_SECRET ?? null,
      rotationOverlapMs: Math.round(v.WEBHOOK_ROTATION_OVERLAP_HOURS * 3_600_000),
      maxAgeMs: Math.round(v.WEBHOOK_MAX_AGE_HOURS * 3_600_000),
      timeoutMs: v.WEBHOOK_TIMEOUT_MS,
      retryBaseMs: v.WEBHOOK_RETRY_BASE_MS,
      scanIntervalMs: v.WEBHOOK_SCAN_INTERVAL_MS,
    }),
    archive: archiveConfig(v, env),
  });
}

function archiveConfig(v: Variables, env: NodeJS.ProcessEnv): ArchiveConfig {
  if (v.ARCHIVE === 's3' && !v.ARCHIVE_S3_BUCKET)
    throw new ConfigError('ARCHIVE_S3_BUCKET', 'must be set with ARCHIVE=s3');
  return Object.freeze({
    mode: v.ARCHIVE,
    dir: path.resolve(v.ARCHIVE_DIR ?? defaultMediaDir(v.DATABASE_URL)),
    s3: v.ARCHIVE_S3_BUCKET
      ? {
          bucket: v.ARCHIVE_S3_BUCKET,
          endpoint: v.ARCHIVE_S3_ENDPOINT ?? null,
          region: v.ARCHIVE_S3_REGION ?? env.AWS_REGION ?? 'us-east-1',
          forcePathStyle: v.ARCHIVE_S3_FORCE_PATH_STYLE === 'true',
        }
      : null,
    maxBytes: v.ARCHIVE_MAX_BYTES,
    timeoutMs: v.ARCHIVE_TIMEOUT_MS,
    maxAttempts: v.ARCHIVE_MAX_ATTEMPTS ?? null,
    retryMinMs: v.ARCHIVE_RETRY_MIN_MS,
    concurrency: v.ARCHIVE_CONCURRENCY,
    retentionMs: v.ARCHIVE_RETENTION_DAYS === undefined ? null : Math.round(v.ARCHIVE_RETENTION_DAYS * 86_400_000),
    mediaUrlTtlSeconds: v.MEDIA_URL_TTL_SECONDS,
  });
}

/** `media/` beside the SQLite file (./data/media by default); ./data/media for PostgreSQL or an in-memory file. */
function defaultMediaDir(databaseUrl: string): string {
  if (!databaseUrl.startsWith('file:') || databaseUrl === 'file::memory:') return path.join('data', 'media');
  const file = databaseUrl.startsWith('file://') ? fileURLToPath(databaseUrl) : databaseUrl.slice('file:'.length);
  return path.join(path.dirname(file), 'media');
}
