import { randomBytes } from 'node:crypto';
import { startFakeKling, type FakeKling, type FakeKlingOptions } from './fakeKling';
import { createTestSchema, type TestSchema } from './pgTestDatabase';
import { TEST_REDIS_URL } from './redis';
import { startTestServer, type TestServer } from './testServer';

/** Two instances of the server on one PostgreSQL schema and one Redis key space, as docker-compose.yml runs them. */
export interface TwoInstances {
  a: TestServer;
  b: TestServer;
  /** the one fake upstream both call */
  fake: FakeKling;
  schema: TestSchema;
  close(): Promise<void>;
}

/** Starts both on a fresh schema and key prefix; `env` is added to each instance's configuration. */
export async function startTwoInstances(
  fakeOptions: FakeKlingOptions,
  env: Record<string, string> = {},
): Promise<TwoInstances> {
  const schema = await createTestSchema();
  const fake = await startFakeKling(fakeOptions);
  const shared = {
    DATABASE_URL: schema.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: `lipsync-test:${randomBytes(4).toString('hex')}:`,
    ...env,
  };
  const a = await startTestServer({ sharedFake: fake, env: shared });
  const b = await startTestServer({ sharedFake: fake, env: shared });
  return {
    a,
    b,
    fake,
    schema,
    async close() {
      await a.close();
      await b.close();
      await fake.close();
      await schema.drop();
    },
  };
}
