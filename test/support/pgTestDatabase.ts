import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { redactUrl } from '../../src/redactUrl';

/** The PostgreSQL the tests use; never skipped: an unreachable server fails the tests with how to start it. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const START_HINT = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';

export interface TestSchema {
  name: string;
  /** TEST_DATABASE_URL with search_path set to this schema, as any code under test would be given it */
  url: string;
  /** empties the tasks table (between tests sharing the schema) */
  truncate(): Promise<void>;
  drop(): Promise<void>;
}

async function connectAdmin(): Promise<Client> {
  const client = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    const cause = error instanceof AggregateError ? error.errors[0] : error;
    throw new Error(
      `PostgreSQL is not reachable at ${redactUrl(TEST_DATABASE_URL)} (${(cause as Error).message}). ` +
        `Start it with: ${START_HINT} (or point TEST_DATABASE_URL at another server)`,
      { cause: error },
    );
  }
}

/** A fresh schema of its own, so test files can run in parallel on one database. */
export async function createTestSchema(): Promise<TestSchema> {
  const admin = await connectAdmin();
  const name = `lipsync_test_${randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE SCHEMA ${name}`);
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    name,
    url: url.toString(),
    truncate: async () => {
      await admin.query(`TRUNCATE ${name}.tasks`);
    },
    drop: async () => {
      try {
        await admin.query(`DROP SCHEMA ${name} CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
