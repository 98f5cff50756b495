import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from '../../test/support/freePort';
import { baseEnv, tail, trackProcess } from '../children';
import { DIST } from '../paths';
import { fixed, mb, type ScenarioResult } from '../report';
import { type RunContext, sleep, startFake, stopAll } from '../stack';

const READY_LIMIT_MS = 1_500;
const IDLE_RSS_LIMIT = 120 * 1024 * 1024;
const IDLE_MS = 2_000;

interface StartRun {
  readyMs: number;
  idleRss: number;
}

/**
 * B5: `node dist/index.js` as a fresh child (new database file: migrations included) until /readyz answers 200,
 * then its RSS after two idle seconds, read from /proc.
 */
export async function runB5(ctx: RunContext): Promise<ScenarioResult> {
  const fake = await startFake(ctx, 'B5', {});
  const starts: StartRun[] = [];
  try {
    const repetitions = ctx.options.quick ? 1 : 3;
    for (let i = 0; i < repetitions; i++) {
      ctx.progress(`B5: cold start ${i + 1}/${repetitions}`);
      starts.push(await coldStart(ctx, i, fake.extra('url'), fake.extra('apiKey')));
    }
  } finally {
    await stopAll(fake);
  }
  const ready = median(starts.map((s) => s.readyMs));
  const rss = median(starts.map((s) => s.idleRss));
  const all = (values: number[], f: (v: number) => string) => values.map(f).join(', ');
  return {
    id: 'B5',
    runs: [],
    verdicts: [
      {
        scenario: 'B5 start-up: spawn → /readyz 200',
        measured: `${fixed(ready, 0)} ms median (${all(
          starts.map((s) => s.readyMs),
          (v) => fixed(v, 0),
        )})`,
        target: '≤ 1.5 s',
        pass: ready <= READY_LIMIT_MS,
      },
      {
        scenario: 'B5 idle RSS after start',
        measured: `${mb(rss)} median (${all(
          starts.map((s) => s.idleRss),
          mb,
        )})`,
        target: '≤ 120 MB',
        pass: rss <= IDLE_RSS_LIMIT,
      },
    ],
    data: { starts, readyMs: ready, idleRss: rss },
    notes: [],
  };
}

async function coldStart(ctx: RunContext, n: number, upstreamUrl: string, apiKey: string): Promise<StartRun> {
  const port = await freePort();
  const logFile = path.join(ctx.tmpDir, `B5-${n}.log`);
  const log = fs.openSync(logFile, 'a');
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(DIST, 'index.js')], {
    cwd: ctx.tmpDir, // no .env here: the environment below is the whole configuration
    env: {
      ...baseEnv(),
      NODE_ENV: 'production',
      ALLOW_ANONYMOUS: 'true',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATABASE_URL: `file:${path.join(ctx.tmpDir, `B5-${n}.db`)}`,
      KLING_BASE_URL: upstreamUrl,
      KLING_API_KEY: apiKey,
    },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  trackProcess(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const readyMs = await waitReady(port, started, () => child.exitCode !== null || child.signalCode !== null);
    await sleep(IDLE_MS);
    const idleRss = rssOf(child.pid as number);
    return { readyMs, idleRss };
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${tail(logFile)}`, { cause: error });
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

async function waitReady(port: number, started: number, exited: () => boolean): Promise<number> {
  for (;;) {
    if (exited()) throw new Error('dist/index.js exited before it was ready');
    if (performance.now() - started > 15_000) throw new Error('dist/index.js not ready after 15 s');
    if ((await statusOf(port, '/readyz')) === 200) return performance.now() - started;
    await sleep(5);
  }
}

function statusOf(port: number, pathname: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
