import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import type { TaskRecord } from '../../src/domain/task';
import { UpstreamIdConflictError } from '../../src/store/storeErrors';
import { SqliteTaskStore } from '../../src/store/SqliteTaskStore';
import { SqliteBackgroundWorker } from '../../src/store/sqliteBackgroundWorker';
import { acceptedTask, SUBMIT_ERROR, taskIntent, taskSnapshot } from '../support/storeFixtures';
import { useTempDir } from '../support/storeTempDir';
import { waitFor } from '../support/waitFor';

/**
 * The SQLite store commits every write requested in one event-loop turn together. What callers rely on: each
 * promise settles only once its write is committed (visible to another connection), a failing write rejects
 * alone and leaves no trace, and none of this changes what each write does.
 */

const temp = useTempDir();
let fileCount = 0;
const stores: SqliteTaskStore[] = [];
const readers: Database.Database[] = [];

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const reader of readers.splice(0)) reader.close();
});

async function openStore(
  options: { checkpointIntervalMs?: number } = {},
): Promise<{ store: SqliteTaskStore; file: string }> {
  const file = temp.path(`group-${++fileCount}.db`);
  // No timer checkpoint during a test unless it asks for one.
  const store = new SqliteTaskStore(file, { checkpointIntervalMs: 3_600_000, ...options });
  await store.migrate();
  stores.push(store);
  return { store, file };
}

/** Another connection, as another process would have: it only ever sees committed data. */
function reader(
  file: string,
): (
  id: string,
) => { state: string; upstream_id: string | null; lease_until: number; idempotency_key: string | null } | undefined {
  const db = new Database(file, { readonly: true });
  readers.push(db);
  const byId = db.prepare('SELECT state, upstream_id, lease_until, idempotency_key FROM tasks WHERE id = ?');
  return (id) => byId.get(id) as never;
}

/** How many tasks the database file holds without its WAL (0 while a checkpoint is half-copied or none ran). */
function rowsInMainFile(file: string): number {
  const copy = `${file}.main-only`;
  fs.copyFileSync(file, copy);
  try {
    const db = new Database(copy);
    try {
      return db.prepare('SELECT count(*) FROM tasks').pluck().get() as number;
    } finally {
      db.close();
    }
  } catch {
    return 0; // torn copy or tables not checkpointed yet
  } finally {
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${copy}${suffix}`, { force: true });
  }
}

/** SQLite's count of committed write transactions on the file (wal-index header `iChange`, walformat.html). */
function commitCounter(file: string): () => number {
  const buffer = Buffer.alloc(4);
  return () => {
    const fd = fs.openSync(`${file}-shm`, 'r');
    try {
      fs.readSync(fd, buffer, 0, 4, 8);
    } finally {
      fs.closeSync(fd);
    }
    return buffer.readUInt32LE(0);
  };
}

describe('SqliteTaskStore group commit', () => {
  it('applies 200 mixed writes of one tick in one transaction; only the one that breaks a rule fails, and every caller is answered after the commit', async () => {
    const { store, file } = await openStore();
    const committed = reader(file);
    const commits = commitCounter(file);

    // Rows for every kind of write, written in earlier ticks.
    const intents = async (n: number) =>
      Promise.all(Array.from({ length: n }, () => store.insertIntent(taskIntent(), 1_000)));
    const toAccept = await intents(20);
    const toFail = await intents(20);
    const toRelease = await intents(20);
    const toClaim = await intents(20);
    await Promise.all(toClaim.map(({ record }) => store.markSubmitFailed(record.id, SUBMIT_ERROR, 1_100)));
    await Promise.all(Array.from({ length: 20 }, (_, i) => acceptedTask(store, { upstreamId: `gc-progress-${i}` })));
    await acceptedTask(store, { upstreamId: 'gc-taken' });
    const victim = (await store.insertIntent(taskIntent(), 1_000)).record;

    // Each write checks, the moment its caller hears back, that another connection already sees it.
    const seen: string[] = [];
    const expectCommitted = <T>(
      promise: Promise<T>,
      id: (value: T) => string,
      check: (row: ReturnType<typeof committed>) => void,
    ) =>
      promise.then((value) => {
        check(committed(id(value)));
        seen.push(id(value));
        return value;
      });
    const record = (r: TaskRecord | null) => r!.id;

    const writes: Array<Promise<unknown>> = [];
    const race: Array<Promise<{ created: boolean; record: TaskRecord }>> = [];
    let conflict: Promise<TaskRecord> | undefined;
    const before = commits();
    for (let i = 0; i < 20; i++) {
      const accept = toAccept[i].record.id;
      writes.push(
        expectCommitted(store.markAccepted(accept, taskSnapshot(`gc-accepted-${i}`), 'req', 2_000), record, (row) =>
          expect(row).toMatchObject({ state: 'submitted', upstream_id: `gc-accepted-${i}` }),
        ),
      );
      writes.push(
        expectCommitted(store.markSubmitFailed(toFail[i].record.id, SUBMIT_ERROR, 2_000), record, (row) =>
          expect(row?.state).toBe('submit_failed'),
        ),
      );
      const released = toRelease[i].record.id;
      writes.push(
        expectCommitted(
          store.releaseLease(released),
          () => released,
          (row) => expect(row?.lease_until).toBe(0),
        ),
      );
      const claimed = toClaim[i].record.id;
      writes.push(
        expectCommitted(
          store.claimSubmission(claimed, 'submit_failed', 90_000, 2_000),
          () => claimed,
          (row) => expect(row).toMatchObject({ state: 'submitting', lease_until: 90_000 }),
        ),
      );
      const progress = taskSnapshot(`gc-progress-${i}`, { state: 'processing', updatedAt: 3_000 });
      writes.push(
        expectCommitted(
          store.applySnapshot(progress, null, 3_000),
          (r) => r!.record.id,
          (row) => expect(row?.state).toBe('processing'),
        ),
      );
      const keyed = store.insertIntent(taskIntent({ idempotencyKey: 'gc-race', idempotencyExpiresAt: 99_000 }), 2_000);
      race.push(keyed);
      writes.push(
        expectCommitted(
          keyed,
          (r) => r.record.id,
          (row) => expect(row?.idempotency_key).toBe('gc-race'),
        ),
      );
      if (i === 10) conflict = store.markAccepted(victim.id, taskSnapshot('gc-taken'), null, 2_000);
    }
    const moreRacers = Array.from({ length: 30 }, () =>
      store.insertIntent(taskIntent({ idempotencyKey: 'gc-race', idempotencyExpiresAt: 99_000 }), 2_000),
    );
    for (let i = 0; i < 49; i++) {
      writes.push(
        expectCommitted(
          store.insertIntent(taskIntent(), 2_000),
          (r) => r.record.id,
          (row) => expect(row?.state).toBe('submitting'),
        ),
      );
    }
    expect(writes.length + moreRacers.length + 1).toBe(200);

    await expect(conflict).rejects.toBeInstanceOf(UpstreamIdConflictError);
    await Promise.all(writes);
    expect(seen).toHaveLength(169);
    expect(commits() - before).toBe(1);

    const raced = await Promise.all([...race, ...moreRacers]);
    expect(raced).toHaveLength(50);
    expect(raced.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(raced.map((r) => r.record.id)).size).toBe(1);
    // the failed write left nothing behind, in this connection or another
    expect(await store.getById(victim.id)).toEqual(victim);
    expect(committed(victim.id)).toMatchObject({ state: 'submitting', upstream_id: null });
    expect(await store.countByState()).toEqual({
      submitting: 20 + 20 + 1 + 1 + 49,
      submit_failed: 20,
      submitted: 21,
      processing: 20,
    });
  });

  it.each([
    ['alone in its transaction', 0],
    ['among other writes', 5],
  ])('rolls back every statement of a write that fails %s', async (_, neighbours) => {
    const { store, file } = await openStore();
    const committed = reader(file);
    const holder = await store.insertIntent(taskIntent({ idempotencyKey: 'k', idempotencyExpiresAt: 5_000 }), 1_000);
    const taken = await store.insertIntent(taskIntent(), 1_000);
    // The key has expired, so insertIntent first releases it from the holder, then its INSERT fails on the id.
    const others = Array.from({ length: neighbours }, () => store.insertIntent(taskIntent(), 9_000));
    const failing = store.insertIntent(
      taskIntent({ id: taken.record.id, idempotencyKey: 'k', idempotencyExpiresAt: 99_000 }),
      9_000,
    );
    const after = Array.from({ length: neighbours }, () => store.insertIntent(taskIntent(), 9_000));
    await expect(failing).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    for (const result of await Promise.all([...others, ...after])) expect(committed(result.record.id)).toBeDefined();
    expect(await store.getById(holder.record.id)).toEqual(holder.record);
    expect(committed(holder.record.id)?.idempotency_key).toBe('k');
  });

  it('answers writes in the order they were requested, each seeing the ones before it', async () => {
    const { store } = await openStore();
    const { record } = await store.insertIntent(taskIntent(), 1_000);
    const order: string[] = [];
    const failed = store.markSubmitFailed(record.id, SUBMIT_ERROR, 1_500).then((r) => (order.push('failed'), r));
    const claimed = store
      .claimSubmission(record.id, 'submit_failed', 60_000, 1_600)
      .then((r) => (order.push('claimed'), r));
    const accepted = store
      .markAccepted(record.id, taskSnapshot('up-order'), null, 1_700)
      .then((r) => (order.push('accepted'), r));
    const again = store
      .claimSubmission(record.id, 'submit_failed', 70_000, 1_800)
      .then((r) => (order.push('again'), r));
    expect(await failed).toMatchObject({ state: 'submit_failed' });
    expect(await claimed).toBe(true);
    expect(await accepted).toMatchObject({ state: 'submitted', upstreamId: 'up-order', leaseUntil: 60_000 });
    expect(await again).toBe(false);
    expect(order).toEqual(['failed', 'claimed', 'accepted', 'again']);
  });

  it('commits and answers the writes still waiting when the store closes', async () => {
    const { store, file } = await openStore();
    const pending = [store.insertIntent(taskIntent(), 1_000), store.insertIntent(taskIntent(), 1_000)];
    await store.close();
    const ids = (await Promise.all(pending)).map((r) => r.record.id);
    const reopened = new SqliteTaskStore(file);
    stores.push(reopened);
    await reopened.migrate();
    for (const id of ids) expect(await reopened.getById(id)).not.toBeNull();
    await expect(store.insertIntent(taskIntent(), 1_000)).rejects.toThrow('not open');
  });

  it('checkpoints the WAL into the database file on its timer, and empties the WAL on close', async () => {
    const { store, file } = await openStore({ checkpointIntervalMs: 20 });
    const inserted = await Promise.all(Array.from({ length: 300 }, () => store.insertIntent(taskIntent(), 1_000)));
    // Far fewer pages than wal_autocheckpoint: only the timer can copy them into the database file. The main
    // file alone (copied without its WAL) shows exactly what has been checkpointed.
    await waitFor(
      'the timer to checkpoint the new rows into the database file',
      () => rowsInMainFile(file) === inserted.length,
      10_000,
      20,
    );
    await store.close();
    expect(fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0).toBe(0);
  });

  it('falls back to checkpointing and reading on the calling thread when the worker cannot run', async () => {
    let inline = 0;
    const worker = new SqliteBackgroundWorker(temp.path('no-such-dir', 'tasks.db'), 'SELECT 1', {
      checkpoint: () => inline++,
      read: () => [{ inline: true }],
    });
    worker.checkpoint(); // the worker starts, cannot open the file and dies
    await waitFor('a checkpoint on the calling thread', () => (worker.checkpoint(), inline > 0), 10_000, 20);
    await expect(worker.read()).resolves.toEqual([{ inline: true }]);
    await worker.stop();
  });

  it('lets a process whose only handle is the store finish close() after the checkpoint worker started (built code)', async () => {
    // The worker is unref'd so an idle store never keeps a process alive; close() must still wait for it.
    const file = temp.path(`child-${++fileCount}.db`);
    const script = `
      const { SqliteTaskStore } = require(${JSON.stringify(path.resolve(__dirname, '../../dist/store/SqliteTaskStore.js'))});
      (async () => {
        const store = new SqliteTaskStore(${JSON.stringify(file)}, { checkpointIntervalMs: 10 });
        await store.migrate();
        const intent = { id: 'child-1', tenant: 't', mode: 'TEXT_TO_VIDEO', requestHash: '', idempotencyKey: null,
          idempotencyExpiresAt: null, recordedAt: 1, leaseUntil: 2 };
        await store.insertIntent(intent, 1);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await store.close();
        console.log('closed');
      })();`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { timeout: 20_000 });
    expect(stdout.trim()).toBe('closed');
    const db = new Database(file, { readonly: true });
    readers.push(db);
    expect(db.prepare('SELECT id FROM tasks').pluck().all()).toEqual(['child-1']);
  });
});
