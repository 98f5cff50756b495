import { randomUUID } from 'node:crypto';
import { freePort } from '../support/freePort';
import { waitUntil } from '../support/redis';
import { WebhookReceiver } from '../support/webhookReceiver';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

/**
 * Kling's callbacks (issue 11, item 5): a per-task token in the URL Kling is given, checked before anything
 * else; forged callbacks cost nothing; a burst costs one upstream read; the answer never waits for it.
 * Polling is slowed to a minute here, so every upstream GET these tests count comes from a callback.
 */
const PUBLIC_URL = 'https://lipsync.example.com';
const CALLBACK_URL = /^https:\/\/lipsync\.example\.com\/callbacks\/kling\/([0-9a-f-]{36})\/([A-Za-z0-9_-]{43})$/;

interface Created {
  id: string;
  recordId: string;
  /** the callback URL as Kling got it */
  callbackUrl: string;
  /** the same path on the test server */
  local: string;
}

describe('upstream callbacks with PUBLIC_URL', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      // A generous upstream timeout, so "the answer did not wait for the refresh" cannot be an early timeout.
      env: { PUBLIC_URL, POLL_MIN_MS: '60000', POLL_MAX_MS: '60000', KLING_TIMEOUT_MS: '10000' },
      fake: { processingAfterMs: 100, succeedAfterMs: 600_000 },
    });
  });
  afterAll(() => t.close());

  async function create(input: Record<string, unknown> = TEXT_INPUT): Promise<Created> {
    const res = await t.client.request(CREATE_MUTATION, { input });
    expect(res.body.errors).toBeUndefined();
    const id = res.body.data!.createLipSync.id as string;
    const body = t.fake.requests.filter((r) => r.endpoint === 'create').at(-1)!.body as {
      callback_url: string;
      external_task_id: string;
    };
    const callbackUrl = body.callback_url;
    return {
      id,
      recordId: body.external_task_id,
      callbackUrl,
      local: callbackUrl.replace(PUBLIC_URL, t.server.origin),
    };
  }

  /** The upstream answers processing after 100 ms and the stored answer is fresh for 100 ms: wait past both. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 250));
  const post = (url: string, body: unknown = { task_status: 'succeed' }) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it("gives Kling a per-task callback URL with a token, and never the client's callbackUrl", async () => {
    const a = await create({ ...TEXT_INPUT, callbackUrl: 'https://client.example/hooks/lipsync' });
    const b = await create();
    const [, recordA, tokenA] = CALLBACK_URL.exec(a.callbackUrl) ?? [];
    const [, , tokenB] = CALLBACK_URL.exec(b.callbackUrl) ?? [];
    expect(recordA).toBe(a.recordId);
    expect(tokenA).toBeDefined();
    expect(tokenB).toBeDefined();
    expect(tokenA).not.toBe(tokenB);
    const sent = JSON.stringify(t.fake.requests.filter((r) => r.endpoint === 'create').map((r) => r.body));
    expect(sent).not.toContain('client.example');
  });

  it('answers every forged callback with the same 404 and makes zero upstream reads', async () => {
    const a = await create();
    const b = await create();
    await settle();
    const base = `${t.server.origin}/callbacks/kling`;
    const tokenOf = (c: Created) => c.callbackUrl.split('/').at(-1)!;
    const wrongToken = tokenOf(a).startsWith('A') ? `B${tokenOf(a).slice(1)}` : `A${tokenOf(a).slice(1)}`;
    const gets = t.fake.count('get');
    const forged = [
      `${base}`, // the old, token-less receiver
      `${base}/${a.recordId}`, // no token
      `${base}/${a.recordId}/`, // empty token
      `${base}/${a.recordId}/${wrongToken}`, // wrong token, right length
      `${base}/${a.recordId}/${tokenOf(b)}`, // another task's token
      `${base}/${randomUUID()}/${tokenOf(a)}`, // a token on an unknown task
      `${base}/${a.recordId}/${tokenOf(a)}/extra`,
      `${base}/%E0%A4%A/${tokenOf(a)}`, // malformed percent-encoding
    ];
    const answers = await Promise.all(
      forged.map(async (url) => {
        const res = await post(url, { task_id: a.id, task_status: 'succeed' });
        return `${res.status} ${await res.text()}`;
      }),
    );
    const unknownRoute = await post(`${t.server.origin}/no-such-route`);
    expect(new Set(answers)).toEqual(new Set([`404 ${await unknownRoute.text()}`]));
    // A valid URL with the wrong method is refused the same way.
    expect((await fetch(a.local)).status).toBe(404);
    await new Promise((resolve) => setTimeout(resolve, 300)); // time for any background refresh to show up
    expect(t.fake.count('get')).toBe(gets);
    expect((await t.server.store.getById(a.recordId))!.state).toBe('submitted');
  });

  it('turns 120 valid callbacks for one task within a second into at most a couple of upstream reads', async () => {
    const task = await create();
    await settle();
    const gets = t.fake.count('get');
    // 12 waves of 10 over about a second: longer than the stored answer stays fresh (100 ms here), so only the
    // debounce keeps later waves from reading the upstream again.
    const answers: number[] = [];
    for (let wave = 0; wave < 12; wave++) {
      answers.push(
        ...(await Promise.all(Array.from({ length: 10 }, () => post(task.local).then((res) => res.status)))),
      );
      await new Promise((resolve) => setTimeout(resolve, 80));
    }
    expect(answers).toEqual(Array(120).fill(202));
    await waitUntil(
      async () => (await t.server.store.getById(task.recordId))!.state === 'processing',
      'the callback refreshed the task',
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const reads = t.fake.count('get') - gets;
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(2);
  });

  it('treats a callback as a hint: a forged "succeed" body changes nothing the upstream does not confirm', async () => {
    const task = await create();
    await settle();
    const res = await post(task.local, {
      task_id: task.id,
      task_status: 'succeed',
      task_result: { videos: [{ id: 'x', url: 'https://evil.example/x.mp4' }] },
    });
    expect(res.status).toBe(202);
    await waitUntil(
      async () => (await t.server.store.getById(task.recordId))!.state === 'processing',
      'the callback refreshed the task',
      10_000,
    );
    expect((await t.server.store.getById(task.recordId))!.videos).toEqual([]);
  });

  it('answers before the refresh it starts has finished', async () => {
    const task = await create();
    await settle();
    const before = (await t.server.store.getById(task.recordId))!;
    // The upstream holds its answer for 3 s: an answer that waited for the refresh would come after it.
    t.fake.inject({ delayMs: 3_000 }, { endpoint: 'get' });
    const res = await post(task.local);
    expect(res.status).toBe(202);
    expect((await t.server.store.getById(task.recordId))!.checkedAt).toBe(before.checkedAt);
    await waitUntil(
      async () => (await t.server.store.getById(task.recordId))!.checkedAt > before.checkedAt,
      'the background refresh landed',
      15_000,
    );
  });

  it('never writes a callback token to the log', () => {
    const tokens = t.fake.requests
      .filter((r) => r.endpoint === 'create')
      .map((r) => (r.body as { callback_url: string }).callback_url.split('/').at(-1)!);
    expect(tokens.length).toBeGreaterThan(5);
    for (const token of tokens) expect(t.logs()).not.toContain(token);
  });
});

describe('upstream callbacks without PUBLIC_URL', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { POLL_MIN_MS: '60000', POLL_MAX_MS: '60000' } });
  });
  afterAll(() => t.close());

  it('sends Kling no callback URL and answers 404 on the callback routes', async () => {
    const res = await t.client.request(CREATE_MUTATION, {
      input: { ...TEXT_INPUT, callbackUrl: 'https://client.example/hooks' },
    });
    expect(res.body.errors).toBeUndefined();
    const body = t.fake.requests.find((r) => r.endpoint === 'create')!.body as Record<string, unknown>;
    expect(body.callback_url).toBeUndefined();
    const gets = t.fake.count('get');
    const recordId = body.external_task_id as string;
    for (const path of ['/callbacks/kling', `/callbacks/kling/${recordId}/${'A'.repeat(43)}`]) {
      expect((await fetch(`${t.server.origin}${path}`, { method: 'POST', body: '{}' })).status).toBe(404);
    }
    expect(t.fake.count('get')).toBe(gets);
  });
});

describe('the callback key', () => {
  it('survives a restart: a URL handed to Kling before still works after', async () => {
    const first = await startTestServer({ env: { PUBLIC_URL, POLL_MIN_MS: '60000', POLL_MAX_MS: '60000' } });
    let callbackUrl: string;
    try {
      await first.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
      callbackUrl = (first.fake.requests.find((r) => r.endpoint === 'create')!.body as { callback_url: string })
        .callback_url;
    } finally {
      await first.server.stop(); // the fake and the database file stay for the second life
    }
    const second = await startTestServer({
      env: { PUBLIC_URL, POLL_MIN_MS: '60000', POLL_MAX_MS: '60000' },
      sharedFake: first.fake,
      databaseFile: first.databaseFile,
    });
    try {
      const res = await fetch(callbackUrl.replace(PUBLIC_URL, second.server.origin), { method: 'POST', body: '{}' });
      expect(res.status).toBe(202);
    } finally {
      await second.close();
      await first.close();
    }
  });
});

describe("Kling's callbacks and a client's webhooks together (issue 13)", () => {
  it('gives Kling our own receiver, never the callbackUrl, and its callbacks still move the task the client hears of', async () => {
    const receiver = await WebhookReceiver.start();
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    // Polling slowed to a minute: only Kling's callbacks (sent by the fake as Kling does) can move the task on.
    const t = await startTestServer({
      env: {
        PORT: String(port),
        PUBLIC_URL: publicUrl,
        POLL_MIN_MS: '60000',
        POLL_MAX_MS: '60000',
        ALLOW_PRIVATE_URLS: 'true',
        ALLOW_HTTP_MEDIA_URLS: 'true',
        WEBHOOK_SCAN_INTERVAL_MS: '100',
        // Kling's two callbacks (processing, then succeed) come 600 ms apart: each must cause its own read.
        CALLBACK_DEBOUNCE_MS: '100',
      },
      fake: { processingAfterMs: 300, succeedAfterMs: 900, sendCallbacks: true },
    });
    try {
      const callbackUrl = receiver.url('/client-hooks');
      const res = await t.client.request(CREATE_MUTATION, { input: { ...TEXT_INPUT, callbackUrl } });
      expect(res.body.errors).toBeUndefined();
      const id = res.body.data!.createLipSync.id as string;
      const bodies = t.fake.requests
        .filter((r) => r.endpoint === 'create')
        .map((r) => r.body as Record<string, unknown>);
      expect(bodies).toHaveLength(1);
      expect(bodies[0].callback_url).toMatch(new RegExp(`^${publicUrl}/callbacks/kling/${id}/`));
      expect(JSON.stringify(bodies)).not.toContain(callbackUrl);
      expect(JSON.stringify(bodies)).not.toContain('client-hooks');
      // Kling's callbacks reached /callbacks/kling: the task succeeded without a poll, and the client was told.
      await waitUntil(
        async () => receiver.forTask(id).some((r) => r.event.data.status === 'SUCCEEDED' && r.answeredOk),
        "the client's SUCCEEDED webhook",
        15_000,
      );
      expect(receiver.forTask(id).map((r) => r.event.data.status)).toEqual([
        'QUEUED',
        'SUBMITTED',
        'PROCESSING',
        'SUCCEEDED',
      ]);
    } finally {
      await t.close();
      await receiver.close();
    }
  });
});
