import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program (CommonJS, evaluated as is, so it needs no build step and runs the same under
 * ts-jest): a connection of its own to the file; a PASSIVE checkpoint per 'checkpoint' message (no answer), the
 * rows of the one prepared statement per 'read' message.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
const statement = db.prepare(workerData.sql);
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  if (message === 'checkpoint') {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // SQLITE_BUSY (another checkpoint running): the next request catches up
    }
    return;
  }
  try {
    parentPort.postMessage({ rows: statement.all() });
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) });
  }
});
`;

type Answer = { rows: unknown[]; error?: undefined } | { error: string; rows?: undefined };

/** What runs on the caller's thread when the worker cannot (it failed to start, or died). */
export interface InlineWork<Row> {
  checkpoint: () => void;
  read: () => Row[];
}

/**
 * The embedded store's work that must not stall the event loop, on one worker thread with a connection of its
 * own (WAL mode lets it run next to the writer):
 * - **checkpoints**: copying the WAL back into the database file, with its two fsyncs, would otherwise run inside
 *   a request's commit. PASSIVE: it never waits for anyone.
 * - **one whole-table read** (the task count behind `lipsync_tasks_total`): at a million rows the count scans for
 *   hundreds of milliseconds (bench B8), which on the event loop stalled every request each TASK_COUNT_INTERVAL_MS.
 *   One read at a time (the sampler never overlaps its rounds).
 *
 * One thread for both, not one each: a worker thread is a V8 isolate of its own, several MB of an idle instance's
 * memory (bench B5). It starts on the first request, so a store opened and closed within a second costs no thread;
 * should it fail to start or die, the work falls back to `inline` on the caller's thread.
 */
export class SqliteBackgroundWorker<Row> {
  private worker: Worker | null = null;
  private exited: Promise<void> | null = null;
  private failed = false;
  private waiting: { resolve: (rows: Row[]) => void; reject: (error: Error) => void } | null = null;

  constructor(
    private readonly file: string,
    private readonly sql: string,
    private readonly inline: InlineWork<Row>,
  ) {}

  checkpoint(): void {
    const worker = this.running();
    if (worker) worker.postMessage('checkpoint');
    else this.inline.checkpoint();
  }

  read(): Promise<Row[]> {
    const worker = this.waiting ? null : this.running();
    if (!worker) return Promise.resolve().then(this.inline.read);
    return new Promise<Row[]>((resolve, reject) => {
      this.waiting = { resolve, reject };
      worker.ref(); // an answer is awaited: keep the process alive until it comes
      worker.postMessage('read');
    });
  }

  /** Lets the worker finish what it was asked and close its connection. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.failed = true; // no new worker after stop
    if (!worker) return;
    worker.ref(); // close() is awaited: the process must live until the worker has closed its connection
    worker.postMessage('close');
    await this.exited;
  }

  /** The worker, started on first use; null once it has failed (the caller's thread does the work then). */
  private running(): Worker | null {
    if (this.failed) return null;
    try {
      this.worker ??= this.start();
      return this.worker;
    } catch {
      this.failed = true;
      return null;
    }
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: require.resolve('better-sqlite3'), file: this.file, sql: this.sql },
    });
    worker.unref(); // never keeps the process alive
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (answer: Answer) => {
      const waiting = this.waiting;
      this.waiting = null;
      if (this.worker) this.worker.unref();
      if (!waiting) return;
      if (answer.error !== undefined) waiting.reject(new Error(answer.error));
      else waiting.resolve(answer.rows as Row[]);
    });
    worker.on('error', (error) => {
      this.failed = true;
      this.worker = null;
      this.rejectWaiting(error);
    });
    worker.on('exit', () => this.rejectWaiting(new Error('the background worker stopped')));
    return worker;
  }

  private rejectWaiting(error: Error): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(error);
  }
}
