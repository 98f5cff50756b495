import fs from 'node:fs';
import path from 'node:path';
import { Child } from './children';
import type { BenchOptions } from './options';
import { PROFILE_DIR, childEntry } from './paths';

/** What every scenario gets: options, a private temp directory, and a progress line writer. */
export interface RunContext {
  options: BenchOptions;
  tmpDir: string;
  progress(line: string): void;
  /** seconds: full value, or the short one under --quick */
  seconds(full: number, quick: number): number;
}

export interface FakeOptions {
  processingAfterMs?: number;
  succeedAfterMs?: number;
  /** each task's duration drawn between succeedAfterMs and this */
  succeedAfterMsMax?: number;
  /** POST each task to its callback_url at each status change, as Kling does */
  sendCallbacks?: boolean;
  latencyMs?: number;
}

/** Never reached in any scenario: "stays live" for B4, no surprise progress for B1/B6. */
export const NEVER_MS = 24 * 3_600_000;

export function startFake(ctx: RunContext, name: string, fake: FakeOptions): Promise<Child> {
  return Child.start({
    name: `${name} fake upstream`,
    entry: childEntry('fakeUpstream'),
    args: [JSON.stringify(fake)],
    logFile: path.join(ctx.tmpDir, `${name}-fake.log`),
  });
}

export interface ServerChild {
  child: Child;
  origin: string;
  wsUrl: string;
  databaseFile: string;
}

/**
 * The server under test in its own process: production settings, the upstream rate limiter effectively off,
 * warn-level logs to a file. `env` overrides any of it, --server-env overrides that; `profileName` runs it
 * under --cpu-prof.
 */
export async function startServer(
  ctx: RunContext,
  name: string,
  fake: Child,
  env: Record<string, string> = {},
  profileName?: string,
): Promise<ServerChild> {
  const databaseFile = path.join(ctx.tmpDir, `${name}.db`);
  const execArgv = ['--expose-gc'];
  if (profileName) {
    fs.mkdirSync(PROFILE_DIR, { recursive: true });
    execArgv.push('--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, '--cpu-prof-name', profileName);
  }
  const child = await Child.start({
    name: `${name} server`,
    entry: childEntry('serve'),
    cwd: ctx.tmpDir,
    execArgv,
    logFile: path.join(ctx.tmpDir, `${name}-server.log`),
    env: {
      NODE_ENV: 'production',
      ALLOW_ANONYMOUS: 'true',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATABASE_URL: `file:${databaseFile}`,
      KLING_BASE_URL: fake.extra('url'),
      KLING_API_KEY: fake.extra('apiKey'),
      KLING_RATE_LIMIT_RPS: '100000',
      // Tests and benchmarks create far more than a client's default budget (RATE_LIMIT_CREATES_PER_MINUTE).
      RATE_LIMIT_CREATES_PER_MINUTE: '1000000',
      KLING_MAX_SOCKETS: '64',
      KLING_TIMEOUT_MS: '10000',
      ...env,
      ...ctx.options.serverEnv,
    },
  });
  return { child, origin: child.origin, wsUrl: `${child.origin.replace('http', 'ws')}/graphql`, databaseFile };
}

export type BareMode =
  { mode: 'proxy'; upstreamUrl: string; apiKey: string; maxSockets: number } | { mode: 'reader'; databaseFile: string };

export function startBare(ctx: RunContext, name: string, mode: BareMode): Promise<Child> {
  return Child.start({
    name: `${name} bare ${mode.mode}`,
    entry: childEntry('bare'),
    args: [JSON.stringify(mode)],
    logFile: path.join(ctx.tmpDir, `${name}-bare.log`),
  });
}

/** Stops every child given, in parallel, ignoring ones already gone. */
export async function stopAll(...children: Array<Child | ServerChild | undefined>): Promise<void> {
  await Promise.all(children.map((c) => (c ? ('child' in c ? c.child : c).stop() : undefined)));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
