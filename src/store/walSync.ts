import fs from 'node:fs';
import path from 'node:path';

/** How the WAL reaches the disk: `fs.fdatasync` (tests put a gate in its place). */
export type SyncFile = (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;

/**
 * Makes committed transactions durable without blocking the event loop: the store's connection commits with
 * `synchronous = NORMAL` (a COMMIT writes its WAL frames and returns, without an fsync), and each group commit
 * then waits here for an `fdatasync` of the WAL file, run on libuv's thread pool, before any of its callers is
 * answered. A sync covers every frame written before it started, so the commits that end while one is under way
 * share the next one: one sync per round trip to the disk, whatever the rate.
 *
 * What a power cut can take is what it could under `synchronous = FULL`: commits whose callers were not answered.
 * The difference: another request may *read* a row committed a fraction of a millisecond before it is on disk;
 * nothing leaves the process on the strength of such a row (Kling calls, webhooks, claims and subscription
 * events all follow a write of their own, which waits for a later sync).
 *
 * A failed sync leaves the file's state unknown (the kernel may have dropped the pages it could not write), so it
 * fails the writes waiting for it and every later one: the instance stops answering writes until restarted, and
 * SQLite's recovery at the next open decides what is on disk.
 */
export class WalSync {
  private fd: number | null = null;
  private syncing = false;
  /** commits waiting for a sync that starts after them */
  private waiting: Array<(error?: Error) => void> = [];
  private failure: Error | null = null;
  private idle: Array<() => void> = [];

  constructor(
    private readonly databaseFile: string,
    private readonly syncFile: SyncFile = fs.fdatasync,
  ) {}

  /** Why writes fail now (a sync failed before), or null. */
  get failed(): Error | null {
    return this.failure;
  }

  /** Calls `done` once everything committed so far is on disk (or with the error that prevents it). */
  afterCommit(done: (error?: Error) => void): void {
    if (this.failure) return done(this.failure);
    this.waiting.push(done);
    if (!this.syncing) this.start();
  }

  /** Resolves once no sync is under way or waiting (before a final checkpoint and close). */
  drained(): Promise<void> {
    if (!this.syncing && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  private start(): void {
    const batch = this.waiting;
    this.waiting = [];
    let fd: number;
    try {
      fd = this.walFile();
    } catch (error) {
      return this.fail(batch, error as Error);
    }
    this.syncing = true;
    this.syncFile(fd, (error) => {
      this.syncing = false;
      if (error) return this.fail(batch, error);
      for (const done of batch) done();
      if (this.waiting.length > 0) this.start();
      else this.settleIdle();
    });
  }

  /**
   * The WAL's descriptor, opened at the first commit (the file exists by then: SQLite wrote it). SQLite never
   * replaces the file while a connection is open (a checkpoint rewinds or truncates it in place), so one
   * descriptor serves for the store's life. Its directory entry is synced once, as SQLite does for a new WAL.
   */
  private walFile(): number {
    if (this.fd !== null) return this.fd;
    this.fd = fs.openSync(`${this.databaseFile}-wal`, 'r');
    const directory = fs.openSync(path.dirname(this.databaseFile), 'r');
    try {
      fs.fsyncSync(directory);
    } finally {
      fs.closeSync(directory);
    }
    return this.fd;
  }

  private fail(batch: Array<(error?: Error) => void>, error: Error): void {
    this.failure = new Error(`the database's write-ahead log could not be synced to disk: ${error.message}`);
    const failed = [...batch, ...this.waiting];
    this.waiting = [];
    for (const done of failed) done(this.failure);
    this.settleIdle();
  }

  private settleIdle(): void {
    const idle = this.idle;
    this.idle = [];
    for (const resolve of idle) resolve();
  }
}
