import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FAKE_KLING_API_KEY, type FakeKling } from './fakeKling';
import { freePort } from './freePort';
import { sleep, waitFor } from './waitFor';

export { freePort, sleep, waitFor };

/** The built entry point the operator runs (`npm start`); tests spawn it exactly as `node dist/index.js`. */
export const DIST_ENTRY = path.resolve(__dirname, '../../dist/index.js');

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Fails with instructions when the build is missing (npm test builds it; a lone `npx jest` may not have). */
export function requireBuild(): string {
  if (!fs.existsSync(DIST_ENTRY)) {
    throw new Error(`${DIST_ENTRY} is missing: run \`npm run build\` before these tests (npm test does it for you)`);
  }
  return DIST_ENTRY;
}

/** A temporary directory (also the child's cwd, so no developer `.env` leaks in). */
export function makeTempDir(prefix = 'lipsync-child-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * The environment of a production-like child pointing at a fake upstream: nothing is inherited from the
 * test runner except PATH, so what the child sees is exactly what the test says.
 */
export function childEnv(
  fake: FakeKling | null,
  databaseFile: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    DATABASE_URL: `file:${databaseFile}`,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    ALLOW_ANONYMOUS: 'true',
    KLING_TIMEOUT_MS: '2000',
    KLING_RATE_LIMIT_RPS: '1000',
    // Tests and benchmarks create far more than a client's default budget (RATE_LIMIT_CREATES_PER_MINUTE).
    RATE_LIMIT_CREATES_PER_MINUTE: '1000000',
    // The fake lists a task as soon as it accepts it, so a lost submission is decided after a second, not minutes.
    SUBMIT_GRACE_MS: '1000',
    ...(fake
      ? { KLING_BASE_URL: fake.url, KLING_API_KEY: fake.auth.kind === 'apiKey' ? fake.auth.apiKey : FAKE_KLING_API_KEY }
      : {}),
    ...extra,
  };
}

export interface SpawnOptions {
  /** the child's whole environment (PATH is added); PORT is set from `port` */
  env: Record<string, string>;
  port: number;
  cwd?: string;
}

/** `node dist/index.js` as a child process, with its output captured. */
export class ChildServer {
  readonly origin: string;
  readonly url: string;
  readonly wsUrl: string;
  readonly exited: Promise<ExitInfo>;
  private readonly child: ChildProcess;
  private out = '';
  private err = '';
  private exit: ExitInfo | null = null;

  constructor(readonly options: SpawnOptions) {
    requireBuild();
    this.origin = `http://127.0.0.1:${options.port}`;
    this.url = `${this.origin}/graphql`;
    this.wsUrl = `ws://127.0.0.1:${options.port}/graphql`;
    this.child = spawn(process.execPath, [DIST_ENTRY], {
      cwd: options.cwd ?? os.tmpdir(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env, PORT: String(options.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.out += chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.err += chunk));
    this.exited = new Promise((resolve) => {
      // 'close' (not 'exit'): every byte of stdout and stderr has been read by then.
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exit !== null;
  }

  stdout(): string {
    return this.out;
  }

  stderr(): string {
    return this.err;
  }

  /** Resolves once GET /readyz answers 200; rejects (with the child's stderr) if it exits or the deadline passes. */
  async waitReady(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exit) {
        throw new Error(
          `server exited (${JSON.stringify(this.exit)}) before it was ready; stderr:\n${this.err}\nstdout:\n${this.out}`,
        );
      }
      try {
        const res = await fetch(`${this.origin}/readyz`, { signal: AbortSignal.timeout(1_000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`server not ready within ${timeoutMs} ms; stderr:\n${this.err}\nstdout:\n${this.out}`);
  }

  /** Sends a signal without waiting (see `exited`). */
  send(signal: NodeJS.Signals): void {
    if (!this.exit) this.child.kill(signal);
  }

  /** Sends a signal and waits for the process to end. */
  async signal(signal: NodeJS.Signals, timeoutMs = 20_000): Promise<ExitInfo> {
    this.send(signal);
    return withDeadline(this.exited, timeoutMs, `server did not exit within ${timeoutMs} ms after ${signal}`);
  }

  /** kill -9: no handler runs, nothing is flushed or closed. */
  crash(): Promise<ExitInfo> {
    return this.signal('SIGKILL');
  }

  /** Cleanup for afterEach/afterAll: SIGKILL if still running (never throws). */
  async dispose(): Promise<void> {
    if (!this.exit) await this.crash().catch(() => undefined);
  }
}

/** Spawns the server and waits until it is ready. */
export async function startChildServer(options: SpawnOptions): Promise<ChildServer> {
  const server = new ChildServer(options);
  try {
    await server.waitReady();
  } catch (error) {
    await server.dispose();
    throw error;
  }
  return server;
}

export interface RunResult extends ExitInfo {
  stdout: string;
  stderr: string;
}

/** Runs the entry point with this environment until it exits on its own (start-up failures). */
export async function runToCompletion(
  env: Record<string, string>,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  requireBuild();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const child = spawn(process.execPath, [DIST_ENTRY], {
    cwd: options.cwd ?? os.tmpdir(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<ExitInfo>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  try {
    const exit = await withDeadline(
      exited,
      timeoutMs,
      `the server neither started nor exited within ${timeoutMs} ms (it hangs at start-up instead of failing)`,
    );
    return { ...exit, stdout, stderr };
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${(error as Error).message}; stderr:\n${stderr}\nstdout:\n${stdout}`, { cause: error });
  }
}

/** Whether a new TCP connection to 127.0.0.1:port is accepted right now (false: refused or failed). */
export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
