import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/testServer';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];
const ROOT = path.resolve(__dirname, '../..');
const SAMPLE_VIDEO = path.join(ROOT, 'examples/web/media/sample.mp4');
const SCREENSHOT = path.join(ROOT, 'test-results/demo.png');
/** generous: a loaded 2-core machine, a fake task that takes about a second */
const WAIT_MS = 30_000;

const LATEST_TASK = `{ lipSyncTasks(first: 1) { edges { node { id status videos { url } } } } }`;

/** The app as `npm run build:web` builds it, always rebuilt so the test never runs a stale build. */
function buildWebApp(): void {
  const vite = path.join(ROOT, 'node_modules', '.bin', 'vite');
  execFileSync(process.execPath, [vite, 'build', 'examples/web', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'pipe' });
}

/**
 * The demo (examples/web) in Debian's Chromium, against a real server on the fake upstream, whose result
 * URLs serve a real mp4 (test/support/fakeKling.ts `mediaFile`) so the <video> has something to play.
 */
describe('the demo web app in Chromium', () => {
  let t: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (.ci/run does)`);
    buildWebApp();
    t = await startTestServer({ fake: { mediaFile: SAMPLE_VIDEO } });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function openDemo(): Promise<void> {
    await page.goto(`${t.server.origin}/demo`);
    // voices come from the `voices` query for the language: the form is ready once they are there
    await page
      .getByLabel('Voice', { exact: true })
      .locator('option')
      .first()
      .waitFor({ state: 'attached', timeout: WAIT_MS });
  }

  const field = (label: string) => page.getByLabel(label, { exact: true });
  const status = () => page.getByRole('status');
  const focusedId = () => page.locator(':focus').getAttribute('id');

  it('creates a lip-sync from the form, follows it to SUCCEEDED and plays the result', async () => {
    await openDemo();
    await field('Video URL').fill('https://example.com/face.mp4');
    await field('Text').fill('Hello from the browser');
    expect(await page.locator('#text-counter').textContent()).toBe('22/120');
    await field('Language').selectOption('EN');
    const voiceId = await field('Voice').inputValue();
    expect(voiceId).not.toBe('');
    await page.getByRole('button', { name: 'Create', exact: true }).click();

    await status().filter({ hasText: 'SUCCEEDED' }).waitFor({ timeout: WAIT_MS });
    const { body } = await t.client.request(LATEST_TASK);
    const task = body.data!.lipSyncTasks.edges[0].node;
    expect(task.status).toBe('SUCCEEDED');
    expect(await status().textContent()).toContain(task.id);
    const video = page.locator('#result-video');
    expect(await video.getAttribute('src')).toBe(task.videos[0].url);
    expect(task.videos[0].url).toMatch(new RegExp(`^${t.fake.url}/media/`));
    // it plays: Chromium fetched and decoded the mp4 (the sample is 320×240)
    await page.waitForFunction("document.querySelector('#result-video').readyState >= 2", undefined, {
      timeout: WAIT_MS,
    });
    expect(
      await video.evaluate((v: { videoWidth: number; videoHeight: number }) => [v.videoWidth, v.videoHeight]),
    ).toEqual([320, 240]);
    // what the form sent is what reached Kling
    const create = t.fake.requests.filter((r) => r.endpoint === 'create').at(-1)!.body as {
      input: Record<string, unknown>;
    };
    expect(create.input).toMatchObject({
      video_url: 'https://example.com/face.mp4',
      text: 'Hello from the browser',
      voice_id: voiceId,
      voice_language: 'en',
    });

    await page.locator('#task-list li button').first().waitFor({ timeout: WAIT_MS });
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  }, 90_000);

  it('shows a validation error next to its field, tied to it by aria-describedby, and sends nothing upstream', async () => {
    await openDemo();
    const creates = t.fake.count('create');
    await field('Video URL').fill('https://example.com/face.mp4');
    await field('Kling video id').fill('800000000000000001');
    await field('Text').fill('Both video sources');
    await page.getByRole('button', { name: 'Create', exact: true }).click();

    const videoId = field('Kling video id');
    await page.locator('#videoId-error:not([hidden])').waitFor({ timeout: WAIT_MS });
    expect(await videoId.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await videoId.getAttribute('aria-describedby'))!.split(' ');
    const descriptions = await Promise.all(describedBy.map((id) => page.locator(`#${id}`).textContent()));
    expect(descriptions.join(' ')).toMatch(/only one of videoId or videoUrl/);
    // the first field to fix has the keyboard focus
    expect(await focusedId()).toBe('videoId');
    expect(t.fake.count('create')).toBe(creates);
  });

  it('shows an upstream error with its code and Kling request id', async () => {
    await openDemo();
    t.fake.inject({ code: 1102 }, { endpoint: 'create' });
    await field('Video URL').fill('https://example.com/face.mp4');
    await field('Text').fill('Out of credit');
    await page.getByRole('button', { name: 'Create', exact: true }).click();

    const alert = page.getByRole('alert');
    await alert.filter({ hasText: 'UPSTREAM_QUOTA_EXHAUSTED' }).waitFor({ timeout: WAIT_MS });
    expect(await alert.textContent()).toMatch(/Kling request id [0-9a-f-]{36}/);
  });

  it('works by keyboard alone: tab through the form, submit with Enter, open a task from the list', async () => {
    await openDemo();
    await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('videoUrl');
    await page.keyboard.type('https://example.com/keyboard.mp4');
    await page.keyboard.press('Tab'); // Kling video id
    await page.keyboard.press('Tab'); // Text
    await page.keyboard.type('Typed without a mouse');
    for (const id of ['voiceLanguage', 'voiceId', 'audioUrl', 'create']) {
      await page.keyboard.press('Tab');
      expect(await focusedId()).toBe(id);
    }
    await page.keyboard.press('Enter');
    await status().filter({ hasText: 'SUCCEEDED' }).waitFor({ timeout: WAIT_MS });

    const first = page.locator('#task-list li button').first();
    await first.focus();
    const id = (await first.textContent())!.split(' · ').at(-1)!;
    await page.keyboard.press('Enter');
    await status()
      .filter({ hasText: `Task ${id}: SUCCEEDED` })
      .waitFor({ timeout: WAIT_MS });
  }, 90_000);

  it('pages through earlier tasks, filters them by status and opens one', async () => {
    // 7 more tasks (one that fails), so there are more than two pages of 5
    for (let i = 0; i < 7; i += 1) {
      const text = i === 0 ? 'no face in this one' : `Task number ${i}`;
      const input = { videoUrl: 'https://example.com/face.mp4', text, voiceId: 'genshin_vindi2', voiceLanguage: 'EN' };
      const res = await t.client.request(
        'mutation ($input: CreateLipSyncInput!) { createLipSync(input: $input) { id } }',
        { input },
      );
      expect(res.body.errors).toBeUndefined();
    }
    await openDemo();
    const items = page.locator('#task-list li button');
    const ids = async () => (await items.allTextContents()).map((text) => text.split(' · ').at(-1));
    await items.first().waitFor({ timeout: WAIT_MS });
    const { body } = await t.client.request('{ lipSyncTasks(first: 100) { edges { node { id } } } }');
    const total: number = body.data!.lipSyncTasks.edges.length;
    expect(total).toBeGreaterThan(5);
    expect(total).toBeLessThanOrEqual(10);
    const page1 = await ids();
    expect(page1).toHaveLength(5);
    expect(await page.getByRole('button', { name: 'Previous page' }).isDisabled()).toBe(true);

    await page.getByRole('button', { name: 'Next page' }).click();
    await page.locator('#page-label', { hasText: 'Page 2' }).waitFor({ timeout: WAIT_MS });
    const page2 = await ids();
    expect(page2).toHaveLength(total - 5);
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    expect(page2.filter((id) => page1.includes(id))).toEqual([]);

    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.locator('#page-label', { hasText: 'Page 1' }).waitFor({ timeout: WAIT_MS });
    expect(await ids()).toEqual(page1);

    // the failing task finishes in about a second; the filter shows it alone, and it opens with its reason
    await page.getByLabel('Status', { exact: true }).selectOption('FAILED');
    const failed = items.filter({ hasText: 'FAILED' });
    for (const deadline = Date.now() + WAIT_MS; (await failed.count()) === 0 && Date.now() < deadline;) {
      await page.waitForTimeout(250);
      await page.getByLabel('Status', { exact: true }).dispatchEvent('change');
    }
    expect(await items.count()).toBe(1);
    await failed.click();
    await status().filter({ hasText: 'FAILED' }).waitFor({ timeout: WAIT_MS });
    expect(await status().textContent()).toContain('no face detected in the video');
  }, 90_000);

  /** One Kling slot (KLING_MAX_CONCURRENT_TASKS=1, the fake allowing 1 running task) held by a slow task. */
  describe('with one Kling slot', () => {
    let q: TestServer;
    let queuePage: Page;

    beforeAll(async () => {
      q = await startTestServer({
        env: { KLING_MAX_CONCURRENT_TASKS: '1' },
        fake: { mediaFile: SAMPLE_VIDEO, maxRunning: 1, processingAfterMs: 100, succeedAfterMs: 120_000 },
      });
      queuePage = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    }, 60_000);

    afterAll(async () => {
      await queuePage?.close();
      await q?.close();
    });

    it('shows a second task QUEUED with its position, cancels it with the Cancel button, and it never reaches Kling', async () => {
      const label = (name: string) => queuePage.getByLabel(name, { exact: true });
      const queueStatus = () => queuePage.getByRole('status');
      const cancel = queuePage.getByRole('button', { name: 'Cancel', exact: true });
      await queuePage.goto(`${q.server.origin}/demo`);
      await label('Voice').locator('option').first().waitFor({ state: 'attached', timeout: WAIT_MS });
      const createInPage = async (text: string) => {
        await label('Video URL').fill('https://example.com/face.mp4');
        await label('Text').fill(text);
        await queuePage.getByRole('button', { name: 'Create', exact: true }).click();
      };

      await createInPage('Holds the only slot');
      await queueStatus()
        .filter({ hasText: /: (SUBMITTED|PROCESSING)/ })
        .waitFor({ timeout: WAIT_MS });
      expect(await cancel.isVisible()).toBe(false);
      const first = (await queueStatus().textContent())!.match(/^Task (\S+):/)![1];

      await createInPage('Waits for it');
      await queueStatus().filter({ hasText: 'QUEUED (position 1)' }).waitFor({ timeout: WAIT_MS });
      const second = (await queueStatus().textContent())!.match(/^Task (\S+):/)![1];
      expect(second).not.toBe(first);

      // by keyboard: the Cancel button takes the focus and Enter presses it
      await cancel.focus();
      await queuePage.keyboard.press('Enter');
      await queueStatus()
        .filter({ hasText: `Task ${second}: CANCELED` })
        .waitFor({ timeout: WAIT_MS });
      expect(await cancel.isVisible()).toBe(false);
      expect(await queuePage.getByRole('alert').count()).toBe(0);

      const { body } = await q.client.request('query ($id: ID!) { lipSyncTask(id: $id) { status klingTaskId } }', {
        id: second,
      });
      expect(body.data!.lipSyncTask).toEqual({ status: 'CANCELED', klingTaskId: null });
      const createdFor = q.fake.requests
        .filter((r) => r.endpoint === 'create')
        .map((r) => (r.body as { external_task_id?: string }).external_task_id);
      expect(createdFor).toContain(first);
      expect(createdFor).not.toContain(second);
    }, 90_000);

    it('shows NOT_CANCELABLE in the alert when the task left the queue unseen by the page (canceled in another tab)', async () => {
      // the page's graphql-ws traffic goes through this route, so the test can hold back what the server says
      const stale = await browser.newPage({ viewport: { width: 1280, height: 860 } });
      let frozen = false;
      await stale.routeWebSocket(/\/graphql$/, (ws) => {
        const server = ws.connectToServer();
        ws.onMessage((message) => server.send(message));
        server.onMessage((message) => {
          if (!frozen) ws.send(message);
        });
      });
      try {
        // the slot is still held by the slow first task of the case before, so this one waits
        const input = {
          videoUrl: 'https://example.com/face.mp4',
          text: 'Queued, then canceled elsewhere',
          voiceId: 'genshin_vindi2',
          voiceLanguage: 'EN',
        };
        const created = await q.client.request(
          'mutation ($input: CreateLipSyncInput!) { createLipSync(input: $input) { id status } }',
          { input },
        );
        const task = created.body.data!.createLipSync as { id: string; status: string };
        expect(task.status).toBe('QUEUED');
        await stale.goto(`${q.server.origin}/demo#task=${task.id}`);
        await stale
          .getByRole('status')
          .filter({ hasText: `Task ${task.id}: QUEUED (position ` })
          .waitFor({ timeout: WAIT_MS });

        frozen = true;
        const canceled = await q.client.request('mutation ($id: ID!) { cancelLipSync(id: $id) { status } }', {
          id: task.id,
        });
        expect(canceled.body.data!.cancelLipSync.status).toBe('CANCELED');
        await stale.getByRole('button', { name: 'Cancel', exact: true }).click();

        const alert = stale.getByRole('alert');
        await alert.filter({ hasText: 'NOT_CANCELABLE' }).waitFor({ timeout: WAIT_MS });
        expect(await alert.textContent()).toMatch(
          /BAD_USER_INPUT \(NOT_CANCELABLE\): Only a QUEUED task can be canceled; this one is CANCELED/,
        );
        expect(q.fake.tasks.taskByExternalId(task.id)).toBeUndefined();
      } finally {
        await stale.close();
      }
    }, 60_000);
  });
});
