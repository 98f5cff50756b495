import fs from 'node:fs';
import { createTaskStore } from '../../src/store';
import { SqliteTaskStore } from '../../src/store/SqliteTaskStore';
import type { SyncFile } from '../../src/store/walSync';
import { taskIntent } from '../support/storeFixtures';
import { useTempDir } from '../support/storeTempDir';
import { waitFor } from '../support/waitFor';

const temp = useTempDir();
let fileCount = 0;

/** A sync that waits to be released, noting the size of the WAL when it was asked for (what it will cover). */
class HeldSync {
  readonly calls: { walBytes: number; release: (error?: Error) => void }[] = [];
  constructor(private readonly wal: string) {}
  readonly syncFile: SyncFile = (fd, done) => {
    this.calls.push({
      walBytes: fs.statSync(this.wal).size,
      release: (error) => fs.fdatasync(fd, (syncError) => done(error ?? syncError)),
    });
  };
}

function settled(promise: Promise<unknown>): () => boolean {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  return () => done;
}

/**
 * An acknowledged write is on disk (docs/api.md, "Durability"): the store's connection commits without an fsync
 * of its own (`synchronous = NORMAL`), and each group commit's callers are answered only after an fdatasync of
 * the WAL that started after the commit (src/store/walSync.ts), run off the event loop.
 */
describe('the WAL is synced before a write is answered', () => {
  function open(): { store: SqliteTaskStore; sync: HeldSync } {
    const file = temp.path(`wal-sync-${++fileCount}.db`);
    const sync = new HeldSync(`${file}-wal`);
    return { store: new SqliteTaskStore(file, { syncFile: sync.syncFile }), sync };
  }

  it('answers only once a sync that began after its commit has finished', async () => {
    const { store, sync } = open();
    await store.migrate();
    const walBefore = fs.existsSync(`${store.filePath}-wal`) ? fs.statSync(`${store.filePath}-wal`).size : 0;
    const write = store.insertIntent(taskIntent(), 1_000);
    const answered = settled(write);
    await waitFor('the sync after the commit', () => sync.calls.length === 1);
    // The commit was written before the sync was asked for: the WAL already holds it...
    expect(sync.calls[0].walBytes).toBeGreaterThan(walBefore);
    // ...and the caller waits for the disk, while the event loop goes on.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered()).toBe(false);
    sync.calls[0].release();
    await expect(write).resolves.toMatchObject({ created: true });
    await store.close();
  });

  /** A migrated store with one write committed and its sync held. */
  async function withHeldWrite(): Promise<{ store: SqliteTaskStore; sync: HeldSync; write: Promise<unknown> }> {
    const { store, sync } = open();
    await store.migrate();
    const write = store.insertIntent(taskIntent(), 1_000);
    await waitFor('the first sync', () => sync.calls.length === 1);
    return { store, sync, write };
  }

  it('lets the commits that end during a sync share the next one', async () => {
    const { store, sync, write: first } = await withHeldWrite();
    // Three more writes, each in a turn (and a commit) of its own, while the first sync is held.
    const later: Promise<unknown>[] = [];
    for (let i = 0; i < 3; i++) {
      later.push(store.insertIntent(taskIntent(), 1_000));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const laterAnswered = settled(Promise.all(later));
    expect(sync.calls).toHaveLength(1);
    sync.calls[0].release();
    await first;
    await waitFor('the second sync', () => sync.calls.length === 2);
    expect(laterAnswered()).toBe(false);
    sync.calls[1].release();
    await Promise.all(later);
    expect(sync.calls).toHaveLength(2);
    await store.close();
  });

  it('fails the writes of a sync that failed, and every later write, saying why', async () => {
    const { store, sync, write } = await withHeldWrite();
    sync.calls[0].release(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await expect(write).rejects.toThrow(/write-ahead log could not be synced to disk: EIO/);
    await expect(store.insertIntent(taskIntent(), 1_000)).rejects.toThrow(/could not be synced/);
    await store.close();
  });

  it('keeps what was answered across a reopen, with the real fdatasync', async () => {
    const file = temp.path(`wal-sync-${++fileCount}.db`);
    const intent = taskIntent();
    const first = await createTaskStore(`file:${file}`);
    await first.insertIntent(intent, 1_000);
    await first.close();
    const again = await createTaskStore(`file:${file}`);
    try {
      await expect(again.getById(intent.id)).resolves.toMatchObject({ id: intent.id });
    } finally {
      await again.close();
    }
  });
});
