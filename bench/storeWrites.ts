/**
 * The store's share of a createLipSync, alone: `insertIntent` then `markAccepted` for N tasks from C concurrent
 * "requests" (each waits one event-loop turn between the two, as for the upstream's answer), on a fresh SQLite
 * file in a temp directory. Prints CPU µs per create (this process, all threads: store + this driver; `--store null`
 * measures the driver alone), how long the event loop was blocked, bytes and write syscalls per create
 * (/proc/self/io), and, from a second pass that reads the WAL index header after every create, WAL frames (page
 * writes) and write transactions per create.
 *
 *   npx tsc -p bench/tsconfig.json && node bench/dist/bench/storeWrites.js [--n 20000] [--concurrency 50]
 *       [--prefill 0] [--warmup 2000] [--rate <creates/s>] [--ids v7|v4] [--keys] [--store sqlite|memory|null]
 *       [--module <a compiled src/store directory, e.g. an older build, to compare>]
 *
 * Not part of `npm run bench`: it isolates the store from HTTP, GraphQL and the upstream client.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { newRecordId } from '../src/domain/recordId';
import type { TaskIntent, TaskSnapshot } from '../src/domain/task';
import type { TaskStore } from '../src/store/TaskStore';

interface Options {
  n: number;
  concurrency: number;
  prefill: number;
  warmup: number;
  /** creates per second to aim for (0: as fast as the workers go) */
  rate: number;
  ids: 'v7' | 'v4';
  keys: boolean;
  store: 'sqlite' | 'memory' | 'null';
  module: string;
}

function parse(argv: string[]): Options {
  const options: Options = {
    n: 20_000,
    concurrency: 50,
    prefill: 0,
    warmup: 2_000,
    rate: 0,
    ids: 'v7',
    keys: false,
    store: 'sqlite',
    module: '../src/store',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--n') options.n = Number(value());
    else if (flag === '--concurrency') options.concurrency = Number(value());
    else if (flag === '--prefill') options.prefill = Number(value());
    else if (flag === '--warmup') options.warmup = Number(value());
    else if (flag === '--rate') options.rate = Number(value());
    else if (flag === '--ids') options.ids = value() as Options['ids'];
    else if (flag === '--keys') options.keys = true;
    else if (flag === '--store') options.store = value() as Options['store'];
    else if (flag === '--module') options.module = path.resolve(value());
    else throw new Error(`unknown option ${flag}`);
  }
  return options;
}

/** Upstream ids as the fake (and Kling) hand them out: increasing decimal strings of one length. */
let upstreamSeq = 780_000_000_000_000_000n;
function upstreamId(): string {
  upstreamSeq += 1n;
  return upstreamSeq.toString();
}

function intent(options: Options, now: number): TaskIntent {
  const key = options.keys ? randomUUID() : null;
  return {
    id: options.ids === 'v7' ? newRecordId(now) : randomUUID(),
    tenant: 'default',
    mode: 'TEXT_TO_VIDEO',
    // as the service: only a keyed request carries its fingerprint
    requestHash: key === null ? '' : randomBytes(32).toString('base64url'),
    idempotencyKey: key,
    idempotencyExpiresAt: key === null ? null : now + 86_400_000,
    recordedAt: now,
    leaseUntil: now + 30_000,
  };
}

function snapshot(recordId: string, now: number): TaskSnapshot {
  const id = upstreamId();
  return {
    upstreamId: id,
    state: 'submitted',
    statusMessage: '',
    parentVideo: { id: `${id}1`, url: 'https://media.example.com/bench/face.mp4', durationSeconds: 5 },
    videos: [],
    createdAt: now,
    updatedAt: now,
    externalTaskId: recordId,
  };
}

/** A store that does nothing, to measure this driver's own CPU. */
function nullStore(): TaskStore {
  const record = {} as never;
  return {
    insertIntent: async (i: TaskIntent) => ({ created: true, record: { ...i } as never }),
    markAccepted: async () => record,
    close: async () => undefined,
  } as unknown as TaskStore;
}

/** Frames in the WAL and write transactions, from the wal-index header (first 48 bytes of the -shm file). */
class WalCounter {
  frames = 0;
  transactions = 0;
  private fd: number | null = null;
  private last = { mxFrame: 0, salt: 0, change: 0 };
  private readonly buffer = Buffer.alloc(48);

  constructor(private readonly shmFile: string) {}

  sample(): void {
    if (this.fd === null) {
      if (!fs.existsSync(this.shmFile)) return;
      this.fd = fs.openSync(this.shmFile, 'r');
    }
    fs.readSync(this.fd, this.buffer, 0, 48, 0);
    const change = this.buffer.readUInt32LE(8);
    const mxFrame = this.buffer.readUInt32LE(16);
    const salt = this.buffer.readUInt32LE(32);
    const restarted = salt !== this.last.salt || mxFrame < this.last.mxFrame;
    this.frames += restarted ? mxFrame : mxFrame - this.last.mxFrame;
    this.transactions += (change - this.last.change) >>> 0;
    this.last = { mxFrame, salt, change };
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
  }
}

function procIo(): { wchar: number; syscw: number } {
  const text = fs.readFileSync('/proc/self/io', 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { wchar: field('wchar'), syscw: field('syscw') };
}

async function openStore(options: Options, file: string): Promise<TaskStore> {
  if (options.store === 'null') return nullStore();
  const { createTaskStore } = require(options.module) as typeof import('../src/store');
  return createTaskStore(options.store === 'memory' ? 'file::memory:' : `file:${file}`);
}

interface PassResult {
  cpuUs: number;
  wallMs: number;
  wchar: number;
  syscw: number;
  meanLatencyUs: number;
  /** how long the event loop was blocked: what every other request on this thread would wait */
  loopDelayMs: { p99: number; max: number };
  quarters: number[];
  frames?: number;
  transactions?: number;
  fileBytes: number;
}

async function pass(options: Options, dir: string, countFrames: boolean): Promise<PassResult> {
  const file = path.join(dir, `tasks-${countFrames ? 'frames' : 'timing'}.db`);
  const store = await openStore(options, file);
  if (options.prefill > 0) {
    process.stderr.write(`prefilling ${options.prefill} tasks… `);
    await drive(store, { ...options, n: options.prefill }, null);
    process.stderr.write('done\n');
  }
  // Warm-up (JIT, statement caches) on the same store, not measured.
  if (options.warmup > 0) await drive(store, { ...options, n: options.warmup }, null);
  const counter = countFrames && options.store === 'sqlite' ? new WalCounter(`${file}-shm`) : null;
  counter?.sample();
  const framesBefore = counter?.frames ?? 0;
  const transactionsBefore = counter?.transactions ?? 0;
  if (global.gc) global.gc();
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const io0 = procIo();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const { latencyNs, quarters } = await drive(store, options, counter);
  const wallNs = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  const io1 = procIo();
  loopDelay.disable();
  const result: PassResult = {
    cpuUs: (cpu.user + cpu.system) / options.n,
    wallMs: wallNs / 1e6,
    wchar: (io1.wchar - io0.wchar) / options.n,
    syscw: (io1.syscw - io0.syscw) / options.n,
    meanLatencyUs: latencyNs / options.n / 2 / 1000,
    loopDelayMs: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
    quarters,
    fileBytes: 0,
  };
  if (counter) {
    result.frames = (counter.frames - framesBefore) / options.n;
    result.transactions = (counter.transactions - transactionsBefore) / options.n;
    counter.close();
  }
  await store.close();
  if (options.store === 'sqlite') result.fileBytes = fs.statSync(file).size;
  return result;
}

/** C workers, each: insertIntent, one event-loop turn ("the upstream answers"), markAccepted, repeat. */
async function drive(
  store: TaskStore,
  options: Options,
  counter: WalCounter | null,
): Promise<{ latencyNs: number; quarters: number[] }> {
  let started = 0;
  let done = 0;
  let latencyNs = 0;
  const quarterSize = Math.max(1, Math.floor(options.n / 4));
  const quarters: number[] = [];
  let quarterCpu = process.cpuUsage();
  const t0 = performance.now();
  const worker = async () => {
    while (started < options.n) {
      started += 1;
      if (options.rate > 0) {
        const wait = t0 + (started * 1000) / options.rate - performance.now();
        if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const now = Date.now();
      let t = process.hrtime.bigint();
      const { record } = await store.insertIntent(intent(options, now), now);
      latencyNs += Number(process.hrtime.bigint() - t);
      counter?.sample();
      await new Promise((resolve) => setImmediate(resolve));
      t = process.hrtime.bigint();
      await store.markAccepted(record.id, snapshot(record.id, now), randomUUID(), Date.now());
      latencyNs += Number(process.hrtime.bigint() - t);
      counter?.sample();
      done += 1;
      if (done % quarterSize === 0 && quarters.length < 4) {
        const used = process.cpuUsage(quarterCpu);
        quarters.push((used.user + used.system) / quarterSize);
        quarterCpu = process.cpuUsage();
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { latencyNs, quarters };
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lipsync-store-writes-'));
  try {
    const timing = await pass(options, dir, false);
    const counting = options.store === 'sqlite' ? await pass(options, dir, true) : null;
    const f = (x: number, digits = 1) => x.toFixed(digits);
    console.log(
      `store=${options.store} module=${path.relative(process.cwd(), options.module) || '.'} n=${options.n} ` +
        `concurrency=${options.concurrency} rate=${options.rate || 'max'} prefill=${options.prefill} warmup=${options.warmup} ids=${options.ids} keys=${options.keys}`,
    );
    console.log(
      `  CPU ${f(timing.cpuUs)} µs/create (by quarter: ${timing.quarters.map((q) => f(q)).join(' / ')}), ` +
        `wall ${f(timing.wallMs, 0)} ms = ${f((timing.wallMs * 1000) / options.n)} µs/create, ` +
        `mean store call latency ${f(timing.meanLatencyUs)} µs, event-loop delay p99 ${f(timing.loopDelayMs.p99)} ms max ${f(timing.loopDelayMs.max)} ms`,
    );
    console.log(
      `  written ${f(timing.wchar / 1024)} KiB/create in ${f(timing.syscw)} write calls/create; file ${f(timing.fileBytes / 1048576)} MiB`,
    );
    if (counting?.frames !== undefined) {
      const walBytes = counting.frames * 4120;
      console.log(
        `  WAL ${f(counting.frames, 2)} frames/create in ${f(counting.transactions ?? 0, 2)} write transactions/create; ` +
          `checkpoint ≈ ${f(Math.max(0, counting.wchar - walBytes) / 4096, 2)} pages/create (second pass, CPU ${f(counting.cpuUs)} µs/create with sampling)`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
