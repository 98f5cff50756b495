import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program (CommonJS, evaluated as is, so it needs no build step and runs the same under
 * ts-jest): its own connection to the file, one PASSIVE checkpoint per 'checkpoint' message.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // SQLITE_BUSY (another checkpoint running): the next request catches up
  }
});
`;

/**
 * Copies the WAL back into the database file from a worker thread with a connection of its own, so the
 * checkpoint's page copies and its two fsyncs (≈ 15–40 ms a second at thousands of creates/s, measured) never
 * stall the event loop. A PASSIVE checkpoint runs alongside the writer (WAL mode allows one checkpointer next to
 * one writer) and never waits for anyone. The worker starts on the first request, not before: an idle store
 * (and a test that opens and closes a store within a second) costs no thread. Should the worker fail to start
 * or die, checkpoints fall back to `inline` on the caller's thread.
 */
export class WalCheckpointer {
  private worker: Worker | null = null;
  private exited: Promise<void> | null = null;
  private failed = false;

  constructor(
    private readonly file: string,
    private readonly inline: () => void,
  ) {}

  request(): void {
    if (this.failed) return this.inline();
    try {
      this.worker ??= this.start();
      this.worker.postMessage('checkpoint');
    } catch {
      this.failed = true;
      this.inline();
    }
  }

  /** Lets the worker finish its checkpoint and close its connection. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.failed = true; // no new worker after stop
    if (!worker) return;
    worker.ref(); // close() is awaited: the process must live until the worker has closed its connection
    worker.postMessage('close');
    await this.exited;
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: require.resolve('better-sqlite3'), file: this.file },
    });
    worker.unref(); // never keeps the process alive
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('error', () => {
      this.failed = true;
      this.worker = null;
    });
    return worker;
  }
}
