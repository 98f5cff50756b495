import { redactDatabaseUrl } from '../../src/store/redactDatabaseUrl';

describe('redactDatabaseUrl', () => {
  it.each([
    ['postgres://app:s3cret@db:5432/tasks', 'postgres://app:***@db:5432/tasks'],
    ['postgresql://app:p@ss/w:rd@db/tasks', 'postgresql://app:***@db/tasks'],
    ['postgres://app@db/tasks?sslmode=require&password=s3cret', 'postgres://app@db/tasks?sslmode=require&password=***'],
    ['redis://:s3cret@127.0.0.1:6379', 'redis://:***@127.0.0.1:6379'],
    ['postgres://db:5432/tasks', 'postgres://db:5432/tasks'],
    ['file:./data/lipsync.db', 'file:./data/lipsync.db'],
  ])('%s → %s', (url, redacted) => {
    expect(redactDatabaseUrl(url)).toBe(redacted);
  });
});
