import dns from 'node:dns/promises';
import os from 'node:os';
import { startFakeMedia, type FakeMedia } from '../support/fakeMedia';
import { startTestServer, type TestServer } from '../support/testServer';
import { createAndSettle } from './archiveClient';

/**
 * The archive fetches result URLs itself, so it meets the outbound URL rule (src/domain/outboundUrl.ts): without
 * ALLOW_PRIVATE_URLS a result URL on a loopback, private or link-local address is never fetched, whether the
 * address is in the URL or is what its host name resolves to when the server connects.
 */
describe('archive: result URLs on private addresses are never fetched', () => {
  let t: TestServer;
  let media: FakeMedia;

  beforeAll(async () => {
    media = await startFakeMedia();
    // http allowed, so only the address can be what refuses the download
    t = await startTestServer({ env: { ALLOW_HTTP_MEDIA_URLS: 'true', ARCHIVE_RETRY_MIN_MS: '50' } });
  });
  afterAll(async () => {
    await t?.close();
    await media?.close();
  });

  it('127.0.0.1 in the URL: FAILED at once, no request reaches it, the task stays SUCCEEDED', async () => {
    t.fake.tasks.mediaBaseUrl = media.url;
    const task = await createAndSettle(t.client);
    expect(task).toMatchObject({ status: 'SUCCEEDED', archivedState: 'FAILED' });
    expect(task.videos[0].url.startsWith('http://127.0.0.1:')).toBe(true);
    expect(media.requests).toEqual([]);
  });

  it('169.254.169.254 (cloud metadata) in the URL: FAILED, never fetched', async () => {
    t.fake.tasks.mediaBaseUrl = 'http://169.254.169.254/latest/meta-data';
    const task = await createAndSettle(t.client);
    expect(task).toMatchObject({ status: 'SUCCEEDED', archivedState: 'FAILED' });
    expect(t.logs()).toMatch(/must not point at a linkLocal address/);
  });

  it('a host name that resolves to loopback: refused when the server connects, never fetched', async () => {
    const name = os.hostname();
    const { address } = await dns.lookup(name);
    // this machine's /etc/hosts maps its own name to 127.0.0.1, a public-looking name for a loopback address
    expect(address).toMatch(/^127\./);
    t.fake.tasks.mediaBaseUrl = media.url.replace('127.0.0.1', name);
    const task = await createAndSettle(t.client);
    expect(task).toMatchObject({ status: 'SUCCEEDED', archivedState: 'FAILED' });
    expect(media.requests).toEqual([]);
    expect(t.logs()).toContain(`${name} resolves to ${address}`);
  });
});
