import { Client } from 'pg';
import { createTaskStore, StoreOpenError } from '../../src/store';
import { LATEST_SCHEMA_VERSION } from '../../src/store/migrations';
import { PostgresTaskStore } from '../../src/store/PostgresTaskStore';
import { createTestSchema, TEST_DATABASE_URL, type TestSchema } from '../support/pgTestDatabase';
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
      expect(rows.map((row) => row.version)).toEqual(Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1));
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
    expect(message).toMatch(/^DATABASE_URL postgres:\/\/lipsync:\*\*\*@127\.0\.0\.1:1\/test: cannot connect to PostgreSQL \(.*ECONNREFUSED/);
    expect(message).not.toContain('s3cret');
    expect(message).not.toContain('\n');
  });

  it('names the cause when the database does not exist', async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = '/lipsync_no_such_database';
    const error = await createTaskStore(url.toString()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreOpenError);
    expect((error as StoreOpenError).message).toMatch(/PostgreSQL error 3D000: database "lipsync_no_such_database" does not exist$/);
  });
});
