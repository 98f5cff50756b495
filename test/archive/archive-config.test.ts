import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

function failure(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected a configuration error');
}

describe('archive configuration', () => {
  it('defaults: fs under media/ beside the SQLite file, 500 MB, one-hour URLs, kept forever', () => {
    expect(loadConfig({}).archive).toMatchObject({
      mode: 'fs',
      dir: path.resolve('data/media'),
      maxBytes: 500_000_000,
      mediaUrlTtlSeconds: 3600,
      retentionMs: null,
      maxAttempts: null,
    });
    expect(loadConfig({ DATABASE_URL: 'file:/srv/lipsync/x.db' }).archive.dir).toBe('/srv/lipsync/media');
    expect(loadConfig({ DATABASE_URL: 'postgres://db/x' }).archive.dir).toBe(path.resolve('data/media'));
    expect(loadConfig({ ARCHIVE_RETENTION_DAYS: '1.5' }).archive.retentionMs).toBe(129_600_000);
  });

  it.each([
    [{ ARCHIVE: 'ftp' }, 'ARCHIVE', 'must be fs, s3 or off'],
    [{ ARCHIVE: 's3' }, 'ARCHIVE_S3_BUCKET', 'must be set with ARCHIVE=s3'],
    [{ ARCHIVE_S3_ENDPOINT: 'minio:9000' }, 'ARCHIVE_S3_ENDPOINT', 'must be an http(s) URL'],
    [{ ARCHIVE_MAX_BYTES: '0' }, 'ARCHIVE_MAX_BYTES', 'must be between 1'],
    [{ ARCHIVE_RETENTION_DAYS: '-1' }, 'ARCHIVE_RETENTION_DAYS', 'must be a positive number'],
    [{ MEDIA_URL_TTL_SECONDS: 'soon' }, 'MEDIA_URL_TTL_SECONDS', 'must be a whole number'],
  ])('%j stops start-up naming %s', (env, variable, problem) => {
    const error = failure(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(problem);
  });

  it('s3: the bucket, endpoint, path style, and the region from AWS_REGION when not given', () => {
    const { s3 } = loadConfig({
      ARCHIVE: 's3',
      ARCHIVE_S3_BUCKET: 'media',
      ARCHIVE_S3_ENDPOINT: 'http://127.0.0.1:9000/',
      ARCHIVE_S3_FORCE_PATH_STYLE: 'true',
      AWS_REGION: 'eu-west-3',
    }).archive;
    expect(s3).toEqual({
      bucket: 'media',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-3',
      forcePathStyle: true,
    });
  });
});
