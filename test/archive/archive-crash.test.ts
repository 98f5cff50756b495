import fs from 'node:fs';
import path from 'node:path';
import { childEnv, freePort, makeTempDir, startChildServer, waitFor, type ChildServer } from '../support/childServer';
import { startFakeKling, type FakeKling } from '../support/fakeKling';
import { startFakeMedia, type FakeMedia } from '../support/fakeMedia';
import { GraphQLTestClient } from '../support/graphqlClient';
import { CREATE_MUTATION, TEXT_INPUT } from '../support/testServer';
import { download, readTask, sha256 } from './archiveClient';

/**
 * kill -9 while a video is being archived: the partial download stays out of the served names (a temporary file
 * in .incoming/), nothing serves it, and the restarted server takes the work back and finishes the copy.
 */
describe('archive (fs): kill -9 during a download', () => {
  let fake: FakeKling;
  let media: FakeMedia;
  let server: ChildServer | null = null;
  const dir = makeTempDir();

  beforeAll(async () => {
    // ~2.6 s for the 52 KB sample: long enough to be caught mid-way
    media = await startFakeMedia({ chunkBytes: 2048, chunkDelayMs: 100 });
    fake = await startFakeKling({ processingAfterMs: 200, succeedAfterMs: 500 });
    fake.tasks.mediaBaseUrl = media.url;
  });
  afterAll(async () => {
    await server?.dispose();
    await fake?.close();
    await media?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const start = async () => {
    server = await startChildServer({
      port: await freePort(),
      cwd: dir,
      env: childEnv(fake, path.join(dir, 'lipsync.db'), {
        ALLOW_PRIVATE_URLS: 'true',
        ALLOW_HTTP_MEDIA_URLS: 'true',
        POLL_MIN_MS: '50',
        POLL_MAX_MS: '200',
        TASK_FRESHNESS_MS: '100',
      }),
    });
    return new GraphQLTestClient(server.url, server.wsUrl);
  };

  it('leaves no partial file under a served name, and finishes the copy after the restart', async () => {
    let client = await start();
    const created = await client.request<{ createLipSync: { id: string } }>(CREATE_MUTATION, { input: TEXT_INPUT });
    const id = created.body.data!.createLipSync.id;
    const incoming = path.join(dir, 'media', '.incoming');
    await waitFor(
      'a download half-way through',
      () => fs.readdirSync(incoming).some((name) => fs.statSync(path.join(incoming, name)).size > 8_192),
      20_000,
    );
    const task = (await readTask(client, id))!;
    expect(task).toMatchObject({ status: 'SUCCEEDED', archivedState: 'PENDING' });
    expect(task.videos[0].archivedUrl).toBeNull();
    await server!.crash();

    const served = path.join(dir, 'media', id, `${task.videos[0].id}.mp4`);
    expect(fs.existsSync(served)).toBe(false);
    const partial = fs.readdirSync(incoming).map((name) => fs.statSync(path.join(incoming, name)).size);
    expect(partial.some((size) => size > 0 && size < media.bytes.length)).toBe(true);

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
    expect(fs.readFileSync(served).equals(media.bytes)).toBe(true);
    const copy = await download(done.videos[0].archivedUrl!);
    expect(copy.response.status).toBe(200);
    expect(sha256(copy.bytes)).toBe(sha256(media.bytes));
    expect(media.requests.length).toBe(2);
  });
});
