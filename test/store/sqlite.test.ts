import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, MIGRATION_SQL, MIGRATIONS } from '../../src/store/migrations';
import { createTasks } from '../../src/store/migrations/001_create_tasks';
import { createTaskStore, StoreOpenError } from '../../src/store';
import { recordToParams, TASK_COLUMNS } from '../../src/store/rowMapping';

/** The columns of schema version 1 (later migrations added the rest). */
const V1_COLUMNS = TASK_COLUMNS.filter((c) => c !== 'queued_at');
import { SqliteTaskStore } from '../../src/store/SqliteTaskStore';
import { taskIntent } from '../support/storeFixtures';
import { useTempDir } from '../support/storeTempDir';
import { describeMigrationFromV1 } from './migrationFromV1';
import { describeTaskStoreContract } from './taskStoreContract';

const temp = useTempDir();
let fileCount = 0;
let currentFile = '';

describe('SqliteTaskStore', () => {
  describeTaskStoreContract({
    open: () => {
      currentFile = temp.path(`contract-${++fileCount}`, 'tasks.db');
      return createTaskStore(`file:${currentFile}`);
    },
    reopen: () => createTaskStore(`file:${currentFile}`),
  });
});

describe('SQLite migration 2 over a database at version 1', () => {
  let file = '';
  describeMigrationFromV1({
    seedV1: async (rows) => {
      file = temp.path(`v1-${++fileCount}.db`);
      const db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.exec(MIGRATION_SQL.createTable);
      for (const statement of createTasks.sqlite) db.exec(statement);
      db.prepare(MIGRATION_SQL.record).run({ version: 1, appliedAt: 0 });
      const insert = db.prepare(
        `INSERT INTO tasks (${V1_COLUMNS.join(', ')}) VALUES (${V1_COLUMNS.map((c) => `:${c}`).join(', ')})`,
      );
      for (const row of rows) insert.run(recordToParams(row));
      db.close();
    },
    open: () => createTaskStore(`file:${file}`),
    inspect: async () => {
      const db = new Database(file, { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        // No index left that holds every row just for a uniqueness rule (the id's primary key aside).
        expect(
          db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'sqlite_autoindex%'")
            .pluck()
            .all(),
        ).toEqual(['sqlite_autoindex_tasks_1']);
        const indexes = db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks'")
          .pluck()
          .all() as string[];
        const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all() as number[];
        return { indexes, versions };
      } finally {
        db.close();
      }
    },
  });
});

describe('opening SQLite files', () => {
  function inspect<T>(file: string, read: (db: Database.Database) => T): T {
    const db = new Database(file, { readonly: true });
    try {
      return read(db);
    } finally {
      db.close();
    }
  }

  it('creates the directory and the file in WAL mode, recording each migration once across reopenings', async () => {
    const file = temp.path('nested', 'deeper', 'tasks.db');
    const first = await createTaskStore(`file:${file}`);
    const { record } = await first.insertIntent(taskIntent(), 1_000);
    await first.close();
    const second = await createTaskStore(`file:${file}`);
    expect(await second.getById(record.id)).toEqual(record);
    await second.close();

    expect(inspect(file, (db) => db.pragma('journal_mode', { simple: true }))).toBe('wal');
    const versions = inspect(file, (db) =>
      db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(),
    );
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('resolves a relative file: path against the working directory', async () => {
    const file = temp.path('relative', 'tasks.db');
    const store = await createTaskStore(`file:${path.relative(process.cwd(), file)}`);
    await store.close();
    expect(fs.existsSync(file)).toBe(true);
  });

  it('opens file::memory: for throwaway use', async () => {
    const store = await createTaskStore('file::memory:');
    expect((await store.insertIntent(taskIntent(), 1_000)).created).toBe(true);
    await store.close();
  });

  it('refuses to be used before migrate()', async () => {
    const store = new SqliteTaskStore(temp.path('unmigrated.db'));
    await expect(store.getById('x')).rejects.toThrow('migrate()');
    await store.close();
  });

  describe('fails with one StoreOpenError line naming DATABASE_URL and the cause', () => {
    async function openError(databaseUrl: string): Promise<StoreOpenError> {
      const error = await createTaskStore(databaseUrl).then(
        () => {
          throw new Error(`${databaseUrl} opened`);
        },
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreOpenError);
      const { message } = error as StoreOpenError;
      expect(message.startsWith(`DATABASE_URL ${databaseUrl}: `)).toBe(true);
      expect(message).not.toMatch(/\n|\bat .*\.ts:\d+/);
      return error as StoreOpenError;
    }

    it('for a file that cannot be created', async () => {
      const { message } = await openError('file:/proc/lipsync-test/tasks.db');
      expect(message).toMatch(/cannot create the database (directory|file) \((ENOENT|EACCES|EROFS)/);
    });

    it('for a path below a regular file', async () => {
      const blocker = temp.path('a-file');
      fs.writeFileSync(blocker, 'x');
      expect((await openError(`file:${blocker}/sub/tasks.db`)).message).toContain(
        'cannot create the database directory (ENOTDIR',
      );
      expect((await openError(`file:${blocker}/tasks.db`)).message).toContain(
        'cannot create the database file (ENOTDIR',
      );
    });

    it('for a directory', async () => {
      const { message } = await openError(`file:${temp.path()}`);
      expect(message).toContain('cannot create the database file (EISDIR');
    });

    it('for a file that is not a database', async () => {
      const junk = temp.path('junk.db');
      fs.writeFileSync(junk, Buffer.from('these bytes are not a SQLite header\n'.repeat(200)));
      const { message } = await openError(`file:${junk}`);
      expect(message).toContain('not a SQLite database (file is corrupt or not a database');
    });

    it('for a schema written by a newer server', async () => {
      const file = temp.path('future.db');
      await (await createTaskStore(`file:${file}`)).close();
      const db = new Database(file);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)').run(LATEST_SCHEMA_VERSION + 1);
      db.close();
      const { message } = await openError(`file:${file}`);
      expect(message).toContain(`version ${LATEST_SCHEMA_VERSION + 1}, newer than this server`);
    });
  });
});
