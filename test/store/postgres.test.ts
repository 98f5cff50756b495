import { Client } from 'pg';
import { createTaskStore, StoreOpenError } from '../../src/store';
import { MIGRATION_SQL, MIGRATIONS } from '../../src/store/migrations';
import { createTasks } from '../../src/store/migrations/001_create_tasks';
import { positionalValues, toPositional } from '../../src/store/namedParameters';
import { PostgresTaskStore } from '../../src/store/PostgresTaskStore';
import { recordToParams, TASK_COLUMNS } from '../../src/store/rowMapping';

/** The columns of schema version 1 (later migrations added the rest). */
const V1_COLUMNS = TASK_COLUMNS.filter((c) => c !== 'queued_at');
import { createTestSchema, TEST_DATABASE_URL, type TestSchema } from '../support/pgTestDatabase';
import { describeMigrationFromV1 } from './migrationFromV1';
import { describeTaskStoreContract } from './taskStoreContract';

let schema: TestSchema;

beforeAll(async () => {
  schema = await createTestSchema();
});

afterAll(async () => {
  await schema?.drop();
});

describe('PostgresTaskStore', () => {
  describeTaskStoreContract({
    open: async () => {
      const store = await createTaskStore(schema.url);
      await schema.truncate();
      return store;
    },
    reopen: () => createTaskStore(schema.url),
  });
});

describe('PostgreSQL migration 2 over a database at version 1', () => {
  let v1: TestSchema | undefined;

  async function withClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: v1!.url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  afterEach(async () => {
    await v1?.drop();
    v1 = undefined;
  });

  describeMigrationFromV1({
    seedV1: async (rows) => {
      v1 = await createTestSchema();
      await withClient(async (client) => {
        await client.query(MIGRATION_SQL.createTable);
        for (const statement of createTasks.postgres) await client.query(statement);
        const record = toPositional(MIGRATION_SQL.record);
        await client.query(record.text, positionalValues(record, { version: 1, appliedAt: 0 }));
        const insert = toPositional(
          `INSERT INTO tasks (${V1_COLUMNS.join(', ')}) VALUES (${V1_COLUMNS.map((c) => `:${c}`).join(', ')})`,
        );
        for (const row of rows) await client.query(insert.text, positionalValues(insert, recordToParams(row)));
      });
    },
    open: () => createTaskStore(v1!.url),
    inspect: () =>
      withClient(async (client) => {
        const indexes = await client.query<{ indexname: string }>(
          'SELECT indexname FROM pg_indexes WHERE tablename = $1 AND schemaname = $2',
          ['tasks', v1!.name],
        );
        const constraints = await client.query<{ conname: string }>(
          "SELECT conname FROM pg_constraint WHERE conrelid = 'tasks'::regclass AND contype = 'u'",
        );
        // The uniqueness rules live in partial indexes now, not in constraints that index every row.
        expect(constraints.rows).toEqual([]);
        const versions = await client.query<{ version: number }>(
          'SELECT version FROM schema_migrations ORDER BY version',
        );
        return { indexes: indexes.rows.map((r) => r.indexname), versions: versions.rows.map((r) => r.version) };
      }),
  });
});

describe('opening PostgreSQL', () => {
  it('migrates once when several instances start together', async () => {
    const fresh = await createTestSchema();
    const stores = Array.from({ length: 5 }, () => new PostgresTaskStore(fresh.url));
    try {
      await Promise.all(stores.map((store) => store.migrate()));
      const client = new Client({ connectionString: fresh.url });
      await client.connect();
      const { rows } = await client.query('SELECT version FROM schema_migrations ORDER BY version');
      await client.end();
      expect(rows.map((row) => row.version)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await fresh.drop();
    }
  });

  it('fails with one StoreOpenError line, password masked, when the server is unreachable', async () => {
    const url = 'postgres://lipsync:s3cret-pass@127.0.0.1:1/test';
    const error = await createTaskStore(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreOpenError);
    const { message } = error as StoreOpenError;
    expect(message).toMatch(
      /^DATABASE_URL postgres:\/\/lipsync:\*\*\*@127\.0\.0\.1:1\/test: cannot connect to PostgreSQL \(.*ECONNREFUSED/,
    );
    expect(message).not.toContain('s3cret');
    expect(message).not.toContain('\n');
  });

  it('names the cause when the database does not exist', async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = '/lipsync_no_such_database';
    const error = await createTaskStore(url.toString()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreOpenError);
    expect((error as StoreOpenError).message).toMatch(
      /PostgreSQL error 3D000: database "lipsync_no_such_database" does not exist$/,
    );
  });
});
