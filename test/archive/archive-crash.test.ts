import fs from 'node:fs';
import path from 'node:path';
import { childEnv, freePort, makeTempDir, startChildServer, waitFor, type ChildServer } from '../support/childServer';
import { startFakeKling, type FakeKling } from '../support/fakeKling';
import { startFakeMedia, type FakeMedia } from '../support/fakeMedia';
import { GraphQLTestClient } from '../support/graphqlClient';
import { LocalS3 } from '../support/localS3';
import { CREATE_MUTATION, TEXT_INPUT } from '../support/testServer';
import { download, readTask, sha256 } from './archiveClient';

/**
 * kill -9 while a video is being archived: nothing partial is ever served (fs: the download is a temporary file
 * in .incoming/, outside the served names; s3: an object exists only once its upload completed), and the
 * restarted server takes the work back and finishes the copy.
 */
describe.each(['fs', 's3'] as const)('archive (%s): kill -9 during a download', (mode) => {
  let fake: FakeKling;
  let media: FakeMedia;
  let s3: LocalS3 | null = null;
  let server: ChildServer | null = null;
  const dir = makeTempDir();

  beforeAll(async () => {
    // ~2.6 s for the 52 KB sample: long enough to be caught mid-way
    media = await startFakeMedia({ chunkBytes: 2048, chunkDelayMs: 100 });
    fake = await startFakeKling({ processingAfterMs: 200, succeedAfterMs: 500 });
    fake.tasks.mediaBaseUrl = media.url;
    if (mode === 's3') s3 = await new LocalS3().start();
  });
  afterAll(async () => {
    await server?.dispose();
    await fake?.close();
    await media?.close();
    await s3?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const start = async () => {
    server = await startChildServer({
      port: await freePort(),
      cwd: dir,
      env: childEnv(fake, path.join(dir, 'lipsync.db'), {
        ...s3?.env(),
        ALLOW_PRIVATE_URLS: 'true',
        ALLOW_HTTP_MEDIA_URLS: 'true',
        POLL_MIN_MS: '50',
        POLL_MAX_MS: '200',
        TASK_FRESHNESS_MS: '100',
      }),
    });
    return new GraphQLTestClient(server.url, server.wsUrl);
  };

  /** what the storage holds under the task's name, as a reader of it would find it */
  const stored = async (taskId: string, videoId: string): Promise<boolean> =>
    s3
      ? (await s3.keys()).includes(`${taskId}/${videoId}.mp4`)
      : fs.existsSync(path.join(dir, 'media', taskId, `${videoId}.mp4`));

  it('serves nothing partial, and finishes the copy after the restart', async () => {
    let client = await start();
    const created = await client.request<{ createLipSync: { id: string } }>(CREATE_MUTATION, { input: TEXT_INPUT });
    const id = created.body.data!.createLipSync.id;
    const task = await waitFor('the task SUCCEEDED', async () => {
      const now = await readTask(client, id);
      return now?.status === 'SUCCEEDED' ? now : undefined;
    });
    // past the first chunks, well before the last (~2.6 s at the fake CDN's pace)
    await waitFor('a download half-way through', () => media.sent > 8_192, 20_000);
    expect(task.archivedState).toBe('PENDING');
    expect(task.videos[0].archivedUrl).toBeNull();
    await server!.crash();

    expect(await stored(id, task.videos[0].id)).toBe(false);

    media.fast();
    client = await start();
    const done = await waitFor(
      'the archive finished after the restart',
      async () => {
        const now = await readTask(client, id);
        return now?.archivedState === 'ARCHIVED' ? now : undefined;
      },
      20_000,
    );
    expect(done.status).toBe('SUCCEEDED');
    expect(await stored(id, task.videos[0].id)).toBe(true);
    const copy = await download(done.videos[0].archivedUrl!);
    expect(copy.response.status).toBe(200);
    expect(sha256(copy.bytes)).toBe(sha256(media.bytes));
    expect(media.requests.length).toBe(2);
  });
});
