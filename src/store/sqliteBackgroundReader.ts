import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program (CommonJS, evaluated as is, like walCheckpointer.ts): a read-only connection of its
 * own to the file, one statement, its rows per request.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
const statement = db.prepare(workerData.sql);
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
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

/**
 * Runs one whole-table read (the task count behind `lipsync_tasks_total`) on a worker thread with its own
 * read-only connection: WAL mode lets it read a consistent snapshot next to the writer. Measured with
 * `npm run bench -- --only B8`: at 1,000,000 rows the count scans for ~360 ms, which on the event loop stalled
 * every request for that long every TASK_COUNT_INTERVAL_MS. One request at a time (the sampler never overlaps
 * its rounds); started on the first request; any failure to start falls back to `inline`.
 */
export class SqliteBackgroundReader<Row> {
  private worker: Worker | null = null;
  private exited: Promise<void> | null = null;
  private failed = false;
  private waiting: { resolve: (rows: Row[]) => void; reject: (error: Error) => void } | null = null;

  constructor(
    private readonly file: string,
    private readonly sql: string,
    private readonly inline: () => Row[],
  ) {}

  read(): Promise<Row[]> {
    if (this.failed || this.waiting) return Promise.resolve().then(this.inline);
    try {
      this.worker ??= this.start();
    } catch {
      this.failed = true;
      return Promise.resolve().then(this.inline);
    }
    const worker = this.worker;
    return new Promise<Row[]>((resolve, reject) => {
      this.waiting = { resolve, reject };
      worker.ref(); // an answer is awaited: keep the process alive until it comes
      worker.postMessage('read');
    });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.failed = true;
    if (!worker) return;
    worker.ref();
    worker.postMessage('close');
    await this.exited;
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: require.resolve('better-sqlite3'), file: this.file, sql: this.sql },
    });
    worker.unref();
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
      const waiting = this.waiting;
      this.waiting = null;
      waiting?.reject(error);
    });
    worker.on('exit', () => {
      const waiting = this.waiting;
      this.waiting = null;
      waiting?.reject(new Error('the background reader stopped'));
    });
    return worker;
  }
}
