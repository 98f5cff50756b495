import { redactUrl } from '../../src/redactUrl';

describe('redactUrl', () => {
  it.each([
    ['postgres://app:s3cret@db:5432/tasks', 'postgres://app:***@db:5432/tasks'],
    ['postgresql://app:p@ss/w:rd@db/tasks', 'postgresql://app:***@db/tasks'],
    ['postgres://app@db/tasks?sslmode=require&password=s3cret', 'postgres://app@db/tasks?sslmode=require&password=***'],
    ['redis://:s3cret@127.0.0.1:6379', 'redis://:***@127.0.0.1:6379'],
    ['postgres://db:5432/tasks', 'postgres://db:5432/tasks'],
    ['file:./data/lipsync.db', 'file:./data/lipsync.db'],
    ['https://user:hunter2@aggregator.example/kling', 'https://user:***@aggregator.example/kling'],
    [
      'https://aggregator.example/kling?api_key=abc&region=sg',
      'https://aggregator.example/kling?api_key=***&region=sg',
    ],
    [
      'https://b.example/x?X-Amz-Signature=abc&X-Amz-Credential=def',
      'https://b.example/x?X-Amz-Signature=***&X-Amz-Credential=***',
    ],
    ['https://lipsync.example.com', 'https://lipsync.example.com'],
  ])('%s → %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });
});
