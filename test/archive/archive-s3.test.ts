import path from 'node:path';
import { childEnv, freePort, makeTempDir, startChildServer, type ChildServer } from '../support/childServer';
import { startFakeKling, type FakeKling } from '../support/fakeKling';
import { startFakeMedia, type FakeMedia } from '../support/fakeMedia';
import { GraphQLTestClient } from '../support/graphqlClient';
import { LocalS3 } from '../support/localS3';
import { createAndSettle, download, readTask, sha256 } from './archiveClient';

/**
 * ARCHIVE=s3 against a real S3-compatible server (s3rver) started here; the server runs as `node dist/index.js`
 * with its own environment, AWS credentials included.
 */
describe('archive (s3)', () => {
  let s3: LocalS3;
  let fake: FakeKling;
  let media: FakeMedia;
  let server: ChildServer;
  let acme: GraphQLTestClient;
  let globex: GraphQLTestClient;

  beforeAll(async () => {
    s3 = await new LocalS3().start();
    media = await startFakeMedia();
    fake = await startFakeKling({ processingAfterMs: 300, succeedAfterMs: 900 });
    const dir = makeTempDir();
    server = await startChildServer({
      port: await freePort(),
      cwd: dir,
      env: childEnv(fake, path.join(dir, 'lipsync.db'), {
        ...s3.env(),
        LOG_LEVEL: 'info',
        AUTH_TOKENS: 'acme=tok-acme,globex=tok-globex',
        ALLOW_PRIVATE_URLS: 'true',
        ALLOW_HTTP_MEDIA_URLS: 'true',
        ARCHIVE_MAX_ATTEMPTS: '2',
        ARCHIVE_RETRY_MIN_MS: '50',
        POLL_MIN_MS: '50',
        POLL_MAX_MS: '200',
        TASK_FRESHNESS_MS: '100',
      }),
    });
    const client = new GraphQLTestClient(server.url, server.wsUrl);
    acme = client.withHeaders({ authorization: 'Bearer tok-acme' });
    globex = client.withHeaders({ authorization: 'Bearer tok-globex' });
  });
  beforeEach(() => {
    fake.tasks.mediaBaseUrl = media.url;
  });
  afterAll(async () => {
    // a graceful stop flushes the (buffered) log: the archive's figures are in its 'video archived' lines
    await server?.signal('SIGTERM');
    for (const line of server?.stdout().split('\n') ?? []) {
      if (line.includes('video archived')) console.info(`archive round trip (s3): ${line}`);
    }
    await server?.dispose();
    await fake?.close();
    await media?.close();
    await s3?.close();
  });

  it('keeps a byte-identical object; archivedUrl is a presigned GET with the media URL lifetime, Range works', async () => {
    const task = await createAndSettle(acme);
    expect(task.archivedState).toBe('ARCHIVED');
    const key = `${task.id}/${task.videos[0].id}.mp4`;
    expect(await s3.keys()).toContain(key);
    expect(await s3.size(key)).toBe(media.bytes.length);

    const url = new URL(task.videos[0].archivedUrl!);
    expect(url.origin).toBe(s3.endpoint);
    expect(url.pathname).toBe(`/${s3.bucket}/${key}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);

    const whole = await download(url.href);
    expect(whole.response.status).toBe(200);
    expect(whole.response.headers.get('content-type')).toBe('video/mp4');
    expect(sha256(whole.bytes)).toBe(sha256(media.bytes));
    const part = await download(url.href, { range: 'bytes=0-499' });
    expect(part.response.status).toBe(206);
    expect(part.bytes.equals(media.bytes.subarray(0, 500))).toBe(true);

    // another tenant never gets the task, so never its URL
    expect(await readTask(globex, task.id)).toBeNull();
  });

  it('a gone upstream file: FAILED after the retries, nothing in the bucket, the task stays SUCCEEDED', async () => {
    const gone = await startFakeMedia();
    try {
      gone.deleteAll();
      fake.tasks.mediaBaseUrl = gone.url;
      const task = await createAndSettle(acme);
      expect(task).toMatchObject({ status: 'SUCCEEDED', archivedState: 'FAILED' });
      expect(gone.requests).toHaveLength(2);
      expect((await s3.keys()).some((key) => key.startsWith(`${task.id}/`))).toBe(false);
    } finally {
      await gone.close();
    }
  });
});
