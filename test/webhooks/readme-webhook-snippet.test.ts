import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../support/freePort';
import { readRepoFile } from '../support/readmeSnippets';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';
import { waitFor } from '../support/waitFor';

/** The README's verification snippet (section "Webhooks"), run as written against the real server's webhooks. */
function readmeSnippet(): string {
  const readme = readRepoFile('README.md');
  const start = readme.indexOf('\n## Webhooks\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 2));
  const block = /```js\n([\s\S]*?)```/.exec(section);
  if (start < 0 || !block) throw new Error('README.md has no Webhooks section with a js block');
  return block[1];
}

describe("the README's webhook verification snippet", () => {
  let t: TestServer;
  let child: ChildProcess | null = null;
  afterAll(async () => {
    child?.kill();
    await t?.close();
  });

  it('verifies every webhook of a task and refuses a forged one', async () => {
    const code = readmeSnippet();
    expect(code.trim().split('\n').length).toBeLessThanOrEqual(10);
    t = await startTestServer({
      env: { ALLOW_PRIVATE_URLS: 'true', ALLOW_HTTP_MEDIA_URLS: 'true', WEBHOOK_SCAN_INTERVAL_MS: '100' },
      fake: { processingAfterMs: 700, succeedAfterMs: 1_700 }, // a second of PROCESSING: every status is seen
    });
    const secret = (await t.client.request('{ webhookSigningSecret }')).body.data!.webhookSigningSecret as string;
    const port = await freePort();
    let out = '';
    child = spawn(process.execPath, ['--input-type=module', '-e', code.replace('8080', String(port))], {
      cwd: path.resolve(__dirname, '../..'), // where `standardwebhooks` is installed
      env: { PATH: process.env.PATH ?? '', LIPSYNC_WEBHOOK_SECRET: secret },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const url = `http://127.0.0.1:${port}/hooks`;
    await waitFor('the snippet to listen', () =>
      fetch(url, { method: 'POST', body: '{}' }).then(
        (r) => r.status === 400,
        () => false,
      ),
    );

    const res = await t.client.request(CREATE_MUTATION, { input: { ...TEXT_INPUT, callbackUrl: url } });
    expect(res.body.errors).toBeUndefined();
    const id = res.body.data!.createLipSync.id as string;
    await waitFor('the SUCCEEDED webhook to be verified', () => out.includes(`${id} SUCCEEDED`));
    expect(out.trim().split('\n')).toEqual(['QUEUED', 'SUBMITTED', 'PROCESSING', 'SUCCEEDED'].map((s) => `${id} ${s}`));

    const forged = await fetch(url, {
      method: 'POST',
      headers: {
        'webhook-id': 'x',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': 'v1,AAAA',
      },
      body: JSON.stringify({ type: 'lip_sync_task.updated', data: { id, status: 'FAILED' } }),
    });
    expect(forged.status).toBe(400);
  });
});
