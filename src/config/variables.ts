import { z } from 'zod';
import { authTokens } from './clientTokens';
import { ConfigError } from './ConfigError';
import { tenantMonthlyUnits } from './unitBudgets';
import { databaseUrl, httpUrl, nonEmpty, otlpProtocol, otlpUrl, positiveInt, positiveNumber } from './valueSchemas';

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

export type Variables = { [K in keyof typeof variables]: z.output<(typeof variables)[K]> };

export function parseVariables(env: NodeJS.ProcessEnv): Variables {
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
