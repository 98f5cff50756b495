import { createTaskStore } from '../../src/store';
import { SqliteTaskStore } from '../../src/store/SqliteTaskStore';
import { taskIntent } from '../support/storeFixtures';
import { useTempDir } from '../support/storeTempDir';

const temp = useTempDir();

/** SQLite's numbering of `PRAGMA synchronous`. */
const FULL = 2;

/**
 * An acknowledged create is on disk: every COMMIT fsyncs the WAL (synchronous=FULL), which is what a power cut
 * needs. The level is read back from the store's own connection, the one that commits: a second connection
 * would only report its own setting.
 */
describe('SQLite durability level', () => {
  it('commits with synchronous=FULL on a file it reopens, where SQLite would default to NORMAL', async () => {
    const file = temp.path('tasks.db');
    // The first opening creates the file and switches it to WAL; the level under test is the one of every
    // later start, because this build of SQLite (better-sqlite3: SQLITE_DEFAULT_WAL_SYNCHRONOUS=1) opens an
    // existing WAL database at NORMAL unless told otherwise.
    const first = await createTaskStore(`file:${file}`);
    await first.insertIntent(taskIntent(), 1_000);
    await first.close();

    const store = await createTaskStore(`file:${file}`);
    try {
      expect(store).toBeInstanceOf(SqliteTaskStore);
      expect((store as SqliteTaskStore).synchronousLevel()).toBe(FULL);
    } finally {
      await store.close();
    }
  });
});
