import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startFakeMedia, type FakeMedia } from '../support/fakeMedia';
import { startTestServer, type TestServer } from '../support/testServer';
import { sleep, waitFor } from '../support/waitFor';
import { createAndSettle, download, readTask, sha256, withParam } from './archiveClient';

/** Archive on disk (the default), downloads from a fake CDN on 127.0.0.1, two tenants. */
const TENANTS = { AUTH_TOKENS: 'acme=tok-acme,globex=tok-globex' };
const LOCAL_MEDIA = { ALLOW_PRIVATE_URLS: 'true', ALLOW_HTTP_MEDIA_URLS: 'true' };

describe('archive (fs): signed media URLs', () => {
  let t: TestServer;
  let media: FakeMedia;
  const acme = () => t.client.withHeaders({ authorization: 'Bearer tok-acme' });
  const globex = () => t.client.withHeaders({ authorization: 'Bearer tok-globex' });

  beforeAll(async () => {
    media = await startFakeMedia();
    t = await startTestServer({
      env: {
        ...TENANTS,
        ...LOCAL_MEDIA,
        ARCHIVE_MAX_ATTEMPTS: '3',
        ARCHIVE_RETRY_MIN_MS: '50',
        // the 52 KB sample fits; the 100 KB file of the size test does not
        ARCHIVE_MAX_BYTES: '60000',
      },
    });
  });
  beforeEach(() => {
    t.fake.tasks.mediaBaseUrl = media.url;
  });
  afterAll(async () => {
    await t?.close();
    await media?.close();
  });

  it('keeps a byte-identical copy, served with video/mp4, HEAD, Range (206/416) and the sha256 as ETag (304)', async () => {
    const task = await createAndSettle(acme());
    expect(task.archivedState).toBe('ARCHIVED');
    const url = task.videos[0].archivedUrl!;
    expect(url).toMatch(new RegExp(`^${t.server.origin}/media/${task.id}/${task.videos[0].id}\\.mp4\\?exp=\\d+&sig=`));

    const whole = await download(url);
    expect(whole.response.status).toBe(200);
    expect(whole.response.headers.get('content-type')).toBe('video/mp4');
    expect(whole.response.headers.get('accept-ranges')).toBe('bytes');
    expect(sha256(whole.bytes)).toBe(sha256(media.bytes));
    const etag = whole.response.headers.get('etag');
    expect(etag).toBe(`"${sha256(media.bytes)}"`);

    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(media.bytes.length);

    const part = await download(url, { range: 'bytes=100-1099' });
    expect(part.response.status).toBe(206);
    expect(part.response.headers.get('content-range')).toBe(`bytes 100-1099/${media.bytes.length}`);
    expect(part.bytes.equals(media.bytes.subarray(100, 1100))).toBe(true);

    const beyond = await download(url, { range: `bytes=${media.bytes.length + 10}-` });
    expect(beyond.response.status).toBe(416);

    // node:http, since fetch adds `cache-control: no-cache` to a conditional request (the Fetch standard)
    expect(await statusOf(url, { 'if-none-match': etag! })).toBe(304);

    const [figure] = t
      .logs()
      .split('\n')
      .filter((line) => line.includes('video archived'));
    console.info(`archive round trip (fs): ${figure}`);
  });

  it("refuses a tampered signature, a moved expiry and a URL pointed at another tenant's video (403)", async () => {
    const mine = await createAndSettle(acme());
    const theirs = await createAndSettle(globex());
    const url = mine.videos[0].archivedUrl!;
    const sig = new URL(url).searchParams.get('sig')!;
    const flipped = `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`;
    const exp = Number(new URL(url).searchParams.get('exp'));

    expect((await download(withParam(url, 'sig', flipped))).response.status).toBe(403);
    expect((await download(withParam(url, 'exp', String(exp + 3600)))).response.status).toBe(403);
    expect((await download(withParam(url, 'sig', ''))).response.status).toBe(403);
    // acme's signature on globex's task and video: the signature binds the tenant that owns the copy
    const moved = url.replace(
      `/media/${mine.id}/${mine.videos[0].id}.mp4`,
      `/media/${theirs.id}/${theirs.videos[0].id}.mp4`,
    );
    expect((await download(moved)).response.status).toBe(403);
    // and globex never sees acme's task (nor so its archivedUrl)
    expect(await readTask(globex(), mine.id)).toBeNull();
    // the originals still work
    expect((await download(url)).response.status).toBe(200);
    expect((await download(theirs.videos[0].archivedUrl!)).response.status).toBe(200);
  });

  it("counts the tenant's archived bytes in usage, and only its own", async () => {
    await createAndSettle(globex());
    const ARCHIVED = `{ usage { archivedBytes } lipSyncTasks(first: 100) { edges { node { archivedState } } } }`;
    for (const client of [acme(), globex()]) {
      const res = await client.request(ARCHIVED);
      expect(res.body.errors).toBeUndefined();
      const archived = res.body.data!.lipSyncTasks.edges.filter(
        (e: { node: { archivedState: string } }) => e.node.archivedState === 'ARCHIVED',
      ).length;
      expect(archived).toBeGreaterThan(0);
      // every task here archives the same sample, one video each
      expect(res.body.data!.usage.archivedBytes).toBe(archived * media.bytes.length);
    }
  });

  it('marks the archive FAILED after ARCHIVE_MAX_ATTEMPTS when the upstream file is gone; the task stays SUCCEEDED', async () => {
    const gone = await startFakeMedia();
    try {
      gone.deleteAll();
      t.fake.tasks.mediaBaseUrl = gone.url;
      const task = await createAndSettle(acme());
      expect(task.status).toBe('SUCCEEDED');
      expect(task.archivedState).toBe('FAILED');
      expect(task.videos[0].archivedUrl).toBeNull();
      expect(task.videos[0].url).toContain(gone.url);
      expect(gone.requests).toHaveLength(3);
      // The row is readable once committed; the archiver counts the failure once the commit is on disk, a WAL sync
      // later (src/store/walSync.ts).
      const metrics = await waitFor('the failure counted', async () => {
        const text = await (await fetch(`${t.server.origin}/metrics`)).text();
        return text.includes('lipsync_archive_downloads_total{outcome="failed"}') ? text : undefined;
      });
      expect(metrics).toMatch(/lipsync_archive_downloads_total\{outcome="retry"\} 2\b/);
      expect(metrics).toMatch(/lipsync_archive_downloads_total\{outcome="failed"\} 1\b/);
    } finally {
      await gone.close();
    }
  });

  it.each([
    ['a declared Content-Length', false],
    ['a chunked body, counted while it streams', true],
  ])('refuses a video above ARCHIVE_MAX_BYTES (%s): FAILED after one try, nothing kept', async (_, chunked) => {
    const file = path.join(path.dirname(t.databaseFile), `big-${String(chunked)}.mp4`);
    fs.writeFileSync(file, Buffer.concat([media.bytes, media.bytes]));
    const big = await startFakeMedia({ file, chunked });
    try {
      t.fake.tasks.mediaBaseUrl = big.url;
      const task = await createAndSettle(acme());
      expect(task).toMatchObject({ status: 'SUCCEEDED', archivedState: 'FAILED' });
      expect(big.requests).toHaveLength(1);
      expect(fs.existsSync(path.join(path.dirname(t.databaseFile), 'media', task.id))).toBe(false);
    } finally {
      await big.close();
    }
  });
});

describe('archive (fs): expiry and retention', () => {
  let t: TestServer;
  let media: FakeMedia;
  let dir: string;

  beforeAll(async () => {
    media = await startFakeMedia();
    t = await startTestServer({
      env: {
        ...LOCAL_MEDIA,
        PUBLIC_URL: 'https://lipsync.example',
        // room for a loaded machine between reading the task and the first download, and before retention runs
        MEDIA_URL_TTL_SECONDS: '3',
        ARCHIVE_RETENTION_DAYS: String(15 / 86_400),
      },
    });
    t.fake.tasks.mediaBaseUrl = media.url;
    dir = path.join(path.dirname(t.databaseFile), 'media');
  });
  afterAll(async () => {
    await t?.close();
    await media?.close();
  });

  it('refuses an expired URL, then deletes the copy after ARCHIVE_RETENTION_DAYS (archivedState OFF)', async () => {
    const task = await createAndSettle(t.client);
    expect(task.archivedState).toBe('ARCHIVED');
    const file = path.join(dir, task.id, `${task.videos[0].id}.mp4`);
    expect(fs.readFileSync(file).equals(media.bytes)).toBe(true);
    // archivedUrl carries PUBLIC_URL's host; here the same server answers on its own origin
    expect(task.videos[0].archivedUrl!.startsWith('https://lipsync.example/media/')).toBe(true);
    const url = task.videos[0].archivedUrl!.replace('https://lipsync.example', t.server.origin);
    expect((await download(url)).response.status).toBe(200);
    await sleep(4_100); // the 3 s lifetime (whole seconds) must pass
    expect((await download(url)).response.status).toBe(403);

    const deleted = await waitFor(
      'retention to delete the copy',
      async () => {
        const now = await readTask(t.client, task.id);
        return now?.archivedState === 'OFF' ? now : undefined;
      },
      20_000,
      100,
    );
    expect(deleted.status).toBe('SUCCEEDED');
    expect(deleted.videos[0].archivedUrl).toBeNull();
    expect(fs.existsSync(file)).toBe(false);
  }, 60_000);
});

function statusOf(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

describe('archive off', () => {
  let t: TestServer;
  let media: FakeMedia;

  beforeAll(async () => {
    media = await startFakeMedia();
    t = await startTestServer({ env: { ...LOCAL_MEDIA, ARCHIVE: 'off' } });
    t.fake.tasks.mediaBaseUrl = media.url;
  });
  afterAll(async () => {
    await t?.close();
    await media?.close();
  });

  it('ARCHIVE=off: archivedState OFF, no archivedUrl, nothing fetched, no /media route', async () => {
    const task = await createAndSettle(t.client);
    expect(task).toMatchObject({ status: 'SUCCEEDED', archivedState: 'OFF' });
    expect(task.videos[0].archivedUrl).toBeNull();
    expect(media.requests).toEqual([]);
    expect(
      (await download(`${t.server.origin}/media/${task.id}/${task.videos[0].id}.mp4?exp=1&sig=x`)).response.status,
    ).toBe(404);
  });
});
