/**
 * What a create costs at a given steady rate: a fresh server and fake upstream (as in B1: Kling's timing, watchers
 * at their defaults), creates as Apollo Client 4 sends them, evenly paced at each `--rate` for a warm-up and then a
 * measured window. Prints per rate the server's CPU µs per create (all threads), p50/p99 latency from each request's
 * due time, and the event-loop delay of the server and of the fake. B1 paces only at half the bare proxy's rate and
 * at half the server's own, after its full-load runs; this starts over for every rate, so a rate's figures carry no
 * other run's live tasks.
 *
 *   npm run build && npx tsc -p bench/tsconfig.json && node bench/dist/bench/pacedCreates.js
 *       [--rate 100,500,1000] [--warmup 15] [--seconds 8] [--server-env NAME=VALUE …] [--cpu-prof]
 *
 * Not part of `npm run bench` (docs/performance.md, section 11, used it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLIENTS, createBody, createTask } from './graphql';
import { paced } from './load';
import { parseOptions } from './options';
import { type RunContext, startFake, startServer, stopAll } from './stack';

const KLING_TIMING = { processingAfterMs: 10_000, succeedAfterMs: 180_000, succeedAfterMsMax: 420_000 };
const CLIENT = CLIENTS['Apollo Client 4'];

interface Own {
  rates: number[];
  warmupSeconds: number;
  seconds: number;
  rest: string[];
}

/** This tool's own flags; the rest are the bench's (--server-env, --cpu-prof). */
function ownOptions(argv: string[]): Own {
  const own: Own = { rates: [100, 500, 1000], warmupSeconds: 15, seconds: 8, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    if (argv[i] === '--rate') own.rates = value().split(',').map(Number);
    else if (argv[i] === '--warmup') own.warmupSeconds = Number(value());
    else if (argv[i] === '--seconds') own.seconds = Number(value());
    else own.rest.push(argv[i]);
  }
  if (own.rates.some((rate) => !(rate > 0))) throw new Error('--rate needs positive creates per second');
  return own;
}

async function measure(ctx: RunContext, rate: number, own: Own): Promise<string> {
  const fake = await startFake(ctx, `paced-${rate}`, KLING_TIMING);
  const profile = ctx.options.cpuProf ? `paced-${rate}-server-${Date.now()}.cpuprofile` : undefined;
  const server = await startServer(ctx, `paced-${rate}`, fake, {}, profile).catch(async (error: unknown) => {
    await stopAll(fake);
    throw error;
  });
  try {
    await createTask(server.origin);
    await fake.resetStats();
    const run = await paced(`${rate}/s`, server.child, {
      origin: server.origin,
      rate,
      seconds: own.seconds,
      warmupSeconds: own.warmupSeconds,
      connections: 50,
      body: () => createBody('paced', CLIENT),
      headers: CLIENT.headers,
    });
    const fakeLoop = (await fake.usage()).stats;
    const cut = run.unfinished || run.stoppedEarly ? ` (fell behind: ${run.unfinished} unanswered)` : '';
    return (
      `${rate}/s: ${run.rps.toFixed(0)} answered/s, ${run.cpuPerRequestUs?.toFixed(0)} µs CPU per create, ` +
      `p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms, max ${run.max.toFixed(1)} ms; ` +
      `loop delay p99/max server ${run.loopDelayP99Ms?.toFixed(1)}/${run.loopDelayMaxMs?.toFixed(1)} ms, ` +
      `fake ${fakeLoop.loopDelayP99Ms?.toFixed(1)}/${fakeLoop.loopDelayMaxMs?.toFixed(1)} ms; ` +
      `${run.errors + run.non2xx} errors${cut}`
    );
  } finally {
    await stopAll(server, fake);
  }
}

async function main(): Promise<void> {
  const own = ownOptions(process.argv.slice(2));
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lipsync-paced-'));
  const options = parseOptions(own.rest);
  const ctx: RunContext = {
    options,
    tmpDir,
    progress: (line) => process.stderr.write(`${line}\n`),
    seconds: (full) => full,
  };
  try {
    const env = Object.entries(options.serverEnv).map(([name, value]) => `${name}=${value}`);
    console.log(
      `paced creates, ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}, load ${os.loadavg()[0].toFixed(2)}; ` +
        `${own.warmupSeconds} s warm-up + ${own.seconds} s per rate${env.length ? `; server env ${env.join(' ')}` : ''}`,
    );
    for (const rate of own.rates) console.log(await measure(ctx, rate, own));
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
