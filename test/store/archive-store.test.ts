import { createTaskStore } from '../../src/store';
import { createTestSchema, type TestSchema } from '../support/pgTestDatabase';
import { useTempDir } from '../support/storeTempDir';
import { describeArchiveStoreContract } from './archiveStoreContract';

describe('archive rows on SQLite', () => {
  const dir = useTempDir();
  describeArchiveStoreContract(() => createTaskStore(`file:${dir.path('archive.db')}`));
});

describe('archive rows on PostgreSQL', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema();
  });
  afterAll(async () => {
    await schema?.drop();
  });
  describeArchiveStoreContract(() => createTaskStore(schema.url));
});
