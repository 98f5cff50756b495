/**
 * Micro-benchmark of the upstream client alone: KlingClient.createLipSync against the fake upstream in its own
 * process, N calls with C in flight, and this process's CPU per call (process.cpuUsage() around the window).
 * The client is the production build (dist/upstream/KlingClient.js) unless --client names another compiled
 * KlingClient.js (e.g. a copy of an older build, run with NODE_PATH=<repo>/node_modules), for A/B runs.
 *
 *   npm run build && npx tsc -p bench/tsconfig.json
 *   node bench/dist/bench/upstreamClient.js [--calls 20000] [--concurrency 50] [--warmup 3000] [--runs 3] [--client path]
 *
 * Not part of `npm run bench`; it is for changes to the transport under the upstream client.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { KlingClient as KlingClientType } from '../src/upstream/KlingClient';
import type { KlingCreateBody } from '../src/upstream/kling.types';
import { Child } from './children';
import { DIST, childEntry } from './paths';

interface Options {
  calls: number;
  concurrency: number;
  warmup: number;
  runs: number;
  maxSockets: number;
  client: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    calls: 20_000,
    concurrency: 50,
    warmup: 3_000,
    runs: 3,
    maxSockets: 64,
    client: path.join(DIST, 'upstream', 'KlingClient.js'),
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === '--client') options.client = path.resolve(value);
    else if (name === '--calls') options.calls = Number(value);
    else if (name === '--concurrency') options.concurrency = Number(value);
    else if (name === '--warmup') options.warmup = Number(value);
    else if (name === '--runs') options.runs = Number(value);
    else if (name === '--max-sockets') options.maxSockets = Number(value);
    else throw new Error(`unknown option ${name}`);
  }
  return options;
}

let sequence = 0;
function body(): KlingCreateBody {
  sequence += 1;
  return {
    input: {
      video_url: 'https://cdn.example.com/face.mp4',
      mode: 'text2video',
      text: 'Hello there',
      voice_id: 'genshin_vindi2',
      voice_language: 'en',
    },
    external_task_id: `bench-${process.pid}-${sequence}`,
  };
}

/** `calls` creates, `concurrency` at a time; failures are counted, not thrown. */
async function drive(client: KlingClientType, calls: number, concurrency: number): Promise<number> {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < calls) {
      next += 1;
      await client.createLipSync(body()).catch(() => void (failed += 1));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failed;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const { KlingClient } = require(options.client) as typeof import('../src/upstream/KlingClient');
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lipsync-client-bench-'));
  const fake = await Child.start({
    name: 'fake upstream',
    entry: childEntry('fakeUpstream'),
    args: ['{}'],
    logFile: path.join(tmpDir, 'fake.log'),
  });
  const client = new KlingClient({
    config: {
      baseUrl: fake.extra('url'),
      auth: { kind: 'apiKey', apiKey: fake.extra('apiKey') },
      timeoutMs: 10_000,
      rateLimitRps: 1e6,
      maxSockets: options.maxSockets,
    },
  });
  try {
    console.log(
      `client ${path.relative(process.cwd(), options.client)}; node ${process.version}; load ${os.loadavg()[0].toFixed(2)}`,
    );
    console.log(
      `${options.calls} createLipSync calls, ${options.concurrency} concurrent, maxSockets ${options.maxSockets}, after ${options.warmup} warm-up calls`,
    );
    await drive(client, options.warmup, options.concurrency);
    const perCall: number[] = [];
    for (let run = 1; run <= options.runs; run++) {
      const fakeBefore = await fake.usage();
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const failed = await drive(client, options.calls, options.concurrency);
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const fakeAfter = await fake.usage();
      const micros = (cpu.user + cpu.system) / options.calls;
      const fakeMicros =
        (fakeAfter.cpu.user + fakeAfter.cpu.system - fakeBefore.cpu.user - fakeBefore.cpu.system) / options.calls;
      perCall.push(micros);
      console.log(
        `run ${run}: client ${micros.toFixed(1)} µs/call (user ${(cpu.user / options.calls).toFixed(1)}, system ${(cpu.system / options.calls).toFixed(1)}), ` +
          `fake ${fakeMicros.toFixed(1)} µs/call, ${(options.calls / seconds).toFixed(0)} calls/s, failed ${failed}`,
      );
    }
    const sorted = [...perCall].sort((a, b) => a - b);
    console.log(
      `median client CPU: ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} µs/call (min ${sorted[0].toFixed(1)}, max ${sorted[sorted.length - 1].toFixed(1)})`,
    );
  } finally {
    await client.close();
    await fake.stop();
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
