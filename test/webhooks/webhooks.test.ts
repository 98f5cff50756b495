import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { GraphQLTestClient } from '../support/graphqlClient';
import { createTestSchema } from '../support/pgTestDatabase';
import { ADVANCED_MUTATION, IDENTIFY_MUTATION, VIDEO_URL, faceAudio } from '../support/advancedOperations';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';
import { sleep, waitFor } from '../support/waitFor';
import { WebhookReceiver, type ReceivedWebhook } from '../support/webhookReceiver';

/**
 * Webhooks to a client's callbackUrl (issue 13), through the real server to real receivers on 127.0.0.1: signed per
 * Standard Webhooks and checked with the `standardwebhooks` package's own verify, in order, retried on the schedule
 * (shrunk here by WEBHOOK_RETRY_BASE_MS), stopped by 410, timed out when the receiver hangs, redelivered on demand.
 * Every test counts attempts, duplicates and lost events and asserts them.
 */
const TASK_DELIVERIES = /* GraphQL */ `
  query ($id: ID!) {
    lipSyncTask(id: $id) {
      id
      status
      webhookDeliveries { id status state attempts lastAttemptAt nextAttemptAt lastResponseStatus }
    }
  }
`;
const REDELIVER = 'mutation ($id: ID!) { redeliverWebhook(deliveryId: $id) { id status state attempts } }';
const ALL_STATUSES = ['QUEUED', 'SUBMITTED', 'PROCESSING', 'SUCCEEDED'];

interface Delivery {
  id: string;
  status: string;
  state: string;
  attempts: number;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  lastResponseStatus: number | null;
}

describe('webhooks to callbackUrl', () => {
  let t: TestServer;
  let receiver: WebhookReceiver;
  let alpha: GraphQLTestClient;
  let beta: GraphQLTestClient;
  /** whether /gone answers 410 (the redelivery test turns it off) */
  let goneAnswers410 = true;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    receiver.answer = (request, earlier) => {
      if (request.path === '/flaky') return earlier < 2 ? 500 : 200;
      if (request.path === '/gone') return goneAnswers410 ? 410 : 200;
      if (request.path === '/endless') return 'endless';
      if (request.path === '/redirect') return 'redirect';
      if (request.path === '/slow') return earlier === 0 && request.event.data.status === 'QUEUED' ? 'hang' : 200;
      return 200;
    };
    t = await startTestServer({
      env: {
        AUTH_TOKENS: 'alpha=token-alpha,beta=token-beta',
        ALLOW_PRIVATE_URLS: 'true',
        ALLOW_HTTP_MEDIA_URLS: 'true',
        WEBHOOK_RETRY_BASE_MS: '100',
        WEBHOOK_TIMEOUT_MS: '1000',
        WEBHOOK_SCAN_INTERVAL_MS: '100',
      },
      // A second of PROCESSING (polls every ≤ 200 ms): every status is seen, and so has its webhook.
      fake: { processingAfterMs: 700, succeedAfterMs: 1_700 },
    });
    alpha = t.client.withHeaders({ authorization: 'Bearer token-alpha' });
    beta = t.client.withHeaders({ authorization: 'Bearer token-beta' });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  async function secretOf(client: GraphQLTestClient): Promise<string> {
    const res = await client.request<{ webhookSigningSecret: string }>('{ webhookSigningSecret }');
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.webhookSigningSecret;
  }

  async function create(client: GraphQLTestClient, path: string): Promise<string> {
    const res = await client.request(CREATE_MUTATION, { input: { ...TEXT_INPUT, callbackUrl: receiver.url(path) } });
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.createLipSync.id as string;
  }

  async function deliveries(client: GraphQLTestClient, id: string): Promise<Delivery[]> {
    const res = await client.request(TASK_DELIVERIES, { id });
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.lipSyncTask.webhookDeliveries as Delivery[];
  }

  /** Until the task's SUCCEEDED webhook got a 2xx (the receiver answered it with 200). */
  const untilDelivered = (client: GraphQLTestClient, id: string, statuses = ALL_STATUSES) =>
    waitFor(
      `the webhooks of ${id} to be delivered`,
      async () => {
        const list = await deliveries(client, id);
        return list.length === statuses.length && list.every((d) => d.state === 'DELIVERED') && list;
      },
      20_000,
      100,
    );

  /** Receiver-side counts: every id once (duplicates 0), every status there (lost 0), in order. */
  function expectOnceEachInOrder(got: ReceivedWebhook[], statuses = ALL_STATUSES): void {
    const ids = got.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length); // duplicates = 0
    expect(got.map((r) => r.event.data.status)).toEqual(statuses); // lost = 0, in order
  }

  it('sends QUEUED, SUBMITTED, PROCESSING, SUCCEEDED once each, in order, verifiable with the tenant secret only', async () => {
    const [secretAlpha, secretBeta] = [await secretOf(alpha), await secretOf(beta)];
    expect(secretAlpha).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretBeta).not.toBe(secretAlpha);
    const id = await create(alpha, '/ok');
    const listed = await untilDelivered(alpha, id);
    const got = receiver.forTask(id);
    expectOnceEachInOrder(got);
    expect(listed.map((d) => [d.id, d.status, d.attempts, d.lastResponseStatus, d.nextAttemptAt])).toEqual(
      got.map((r) => [r.id, r.event.data.status, 1, 200, null]),
    );
    for (const r of got) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(new Webhook(secretAlpha).verify(r.body, r.headers)).toEqual(r.event);
      expect(() => new Webhook(secretBeta).verify(r.body, r.headers)).toThrow(WebhookVerificationError);
      expect(r.event.type).toBe('lip_sync_task.updated');
      expect(new Date(r.event.timestamp).toISOString()).toBe(r.event.timestamp);
    }
    const succeeded = got.at(-1)!;
    expect(succeeded.event.data).toMatchObject({ id, status: 'SUCCEEDED', mode: 'TEXT_TO_VIDEO' });
    expect(succeeded.event.data.videos).toEqual([expect.objectContaining({ url: expect.any(String) })]);
    expect(got[1].event.data.klingTaskId).toEqual(expect.any(String));

    // A forged body fails, and so does a body re-signed with another tenant's secret.
    const forged = succeeded.body.replace('"SUCCEEDED"', '"FAILED"');
    expect(() => new Webhook(secretAlpha).verify(forged, succeeded.headers)).toThrow(WebhookVerificationError);
    const resigned = {
      ...succeeded.headers,
      'webhook-signature': new Webhook(secretBeta).sign(succeeded.id, new Date(), forged),
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    };
    expect(() => new Webhook(secretAlpha).verify(forged, resigned)).toThrow(WebhookVerificationError);
  });

  it('sends the same signed events for an ADVANCED task, with its kind, face and units', async () => {
    const identified = await alpha.request(IDENTIFY_MUTATION, { input: { videoUrl: VIDEO_URL } });
    const sessionId = identified.body.data!.identifyFaces.sessionId as string;
    const res = await alpha.request(ADVANCED_MUTATION, {
      input: { sessionId, faces: [faceAudio()], callbackUrl: receiver.url('/advanced') },
    });
    expect(res.body.errors).toBeUndefined();
    const id = res.body.data!.createAdvancedLipSync.id as string;
    await untilDelivered(alpha, id);
    const got = receiver.forTask(id);
    expectOnceEachInOrder(got);
    for (const r of got) expect(new Webhook(await secretOf(alpha)).verify(r.body, r.headers)).toEqual(r.event);
    expect(got.at(-1)!.event.data).toMatchObject({
      id,
      kind: 'ADVANCED',
      mode: null,
      status: 'SUCCEEDED',
      face: { id: 'face_1' },
      unitsCharged: expect.any(Number),
    });
  });

  it('retries a receiver that answers 500 twice: three attempts with one webhook-id, then DELIVERED', async () => {
    const id = await create(alpha, '/flaky');
    const listed = await untilDelivered(alpha, id);
    expect(listed.map((d) => [d.status, d.attempts, d.lastResponseStatus])).toEqual(
      ALL_STATUSES.map((status) => [status, 3, 200]),
    );
    const got = receiver.forTask(id);
    // 12 attempts: each event three times in a row (the next waits for it), with the same id.
    expect(got.map((r) => r.event.data.status)).toEqual(ALL_STATUSES.flatMap((s) => [s, s, s]));
    for (let i = 0; i < got.length; i += 3) expect(new Set(got.slice(i, i + 3).map((r) => r.id)).size).toBe(1);
    expect(new Set(got.map((r) => r.id)).size).toBe(4);
  });

  it('times out a receiver that hangs and retries it', async () => {
    const id = await create(alpha, '/slow');
    const listed = await untilDelivered(alpha, id);
    expect(listed.map((d) => d.attempts)).toEqual([2, 1, 1, 1]);
    const got = receiver.forTask(id);
    expect(got.map((r) => r.event.data.status)).toEqual(['QUEUED', ...ALL_STATUSES]);
    expect(got[0].id).toBe(got[1].id);
  });

  it('reads at most 64 KB of an answer: a 2xx whose body never ends is delivered at once', async () => {
    const id = await create(alpha, '/endless');
    const listed = await untilDelivered(alpha, id);
    expect(listed.map((d) => [d.attempts, d.lastResponseStatus])).toEqual(ALL_STATUSES.map(() => [1, 200]));
  });

  it('follows no redirect: a 307 is a failed attempt, and its target is never called', async () => {
    const id = await create(alpha, '/redirect');
    const first = await waitFor('a retried redirect', async () => {
      const list = await deliveries(alpha, id);
      return list[0]?.attempts >= 2 && list[0];
    });
    expect(first).toMatchObject({ status: 'QUEUED', state: 'PENDING', lastResponseStatus: 307 });
    expect(receiver.forTask(id).map((r) => r.path)).toEqual(Array(receiver.forTask(id).length).fill('/redirect'));
  });

  it("stops a task's webhooks after 410 Gone; redeliverWebhook sends the FAILED one again", async () => {
    const id = await create(alpha, '/gone');
    await waitFor('the task to succeed', async () => {
      const res = await alpha.request(TASK_DELIVERIES, { id });
      return res.body.data!.lipSyncTask.status === 'SUCCEEDED';
    });
    await sleep(1_000); // ten scans and retry periods: time for any further webhook to (wrongly) go out
    expect(receiver.forTask(id).map((r) => r.event.data.status)).toEqual(['QUEUED']);
    const listed = await deliveries(alpha, id);
    expect(listed[0]).toMatchObject({ status: 'QUEUED', state: 'FAILED', attempts: 1, lastResponseStatus: 410 });
    // SUBMITTED may have been written before the 410 came back: stopped too, never tried.
    for (const later of listed.slice(1)) expect(later).toMatchObject({ state: 'FAILED', attempts: 0 });

    // Another tenant cannot see or redeliver it.
    const foreign = await beta.request(REDELIVER, { id: listed[0].id });
    expect(foreign.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    goneAnswers410 = false;
    const redelivered = await alpha.request(REDELIVER, { id: listed[0].id });
    expect(redelivered.body.errors).toBeUndefined();
    expect(redelivered.body.data!.redeliverWebhook).toMatchObject({ id: listed[0].id, state: 'PENDING' });
    await waitFor('the redelivery', async () => (await deliveries(alpha, id))[0].state === 'DELIVERED');
    const got = receiver.forTask(id);
    expect(got.map((r) => r.id)).toEqual([listed[0].id, listed[0].id]);
    const again = await alpha.request(REDELIVER, { id: listed[0].id });
    expect(again.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'NOT_REDELIVERABLE' });
  });

  it('signs with both secrets during a rotation overlap, and serves the new secret', async () => {
    const before = await secretOf(beta);
    const rotated = await beta.request<{ rotateWebhookSigningSecret: string }>(
      'mutation { rotateWebhookSigningSecret }',
    );
    expect(rotated.body.errors).toBeUndefined();
    const after = rotated.body.data!.rotateWebhookSigningSecret;
    expect(after).toMatch(/^whsec_/);
    expect(after).not.toBe(before);
    expect(await secretOf(beta)).toBe(after);
    const id = await create(beta, '/ok');
    await untilDelivered(beta, id);
    const got = receiver.forTask(id);
    expectOnceEachInOrder(got);
    for (const r of got) {
      expect(r.headers['webhook-signature'].split(' ')).toHaveLength(2);
      expect(new Webhook(before).verify(r.body, r.headers)).toEqual(r.event);
      expect(new Webhook(after).verify(r.body, r.headers)).toEqual(r.event);
    }
  });

  it('shows the deliveries as they are at each result of a subscription', async () => {
    const id = await create(alpha, '/ok');
    const ws = alpha.ws({ authorization: 'Bearer token-alpha' });
    const results = await alpha.subscribeAll(
      ws,
      'subscription($id: ID!) { lipSyncTaskUpdated(id: $id) { status webhookDeliveries { status } } }',
      { id },
    );
    await ws.dispose();
    const seen = results.map((r) => {
      const task = (r.data as { lipSyncTaskUpdated: { status: string; webhookDeliveries: { status: string }[] } })
        .lipSyncTaskUpdated;
      return [task.status, task.webhookDeliveries.map((d) => d.status)];
    });
    // Each result lists the events up to its own status (written with it), the last one all four.
    expect(seen.at(-1)).toEqual(['SUCCEEDED', ALL_STATUSES]);
    for (const [status, statuses] of seen) expect(statuses.at(-1)).toBe(status);
  });

  it('shows no deliveries for a task without callbackUrl, and counts attempts and the outbox in /metrics', async () => {
    const res = await alpha.request(CREATE_MUTATION, { input: TEXT_INPUT });
    expect(await deliveries(alpha, res.body.data!.createLipSync.id)).toEqual([]);
    // A page of tasks (read in one batch) shows each task its own deliveries, as the single-task query does.
    const page = await alpha.request(
      '{ lipSyncTasks(first: 50) { edges { node { id webhookDeliveries { id status state attempts } } } } }',
    );
    expect(page.body.errors).toBeUndefined();
    const nodes = (page.body.data!.lipSyncTasks.edges as { node: { id: string; webhookDeliveries: Delivery[] } }[]).map(
      (e) => e.node,
    );
    expect(nodes.filter((n) => n.webhookDeliveries.length > 0).length).toBeGreaterThanOrEqual(5);
    for (const node of nodes) {
      const single = (await deliveries(alpha, node.id)).map(({ id, status, state, attempts }) => ({
        id,
        status,
        state,
        attempts,
      }));
      expect(node.webhookDeliveries).toEqual(single);
    }
    const metrics = await (await fetch(`${t.server.origin}/metrics`)).text();
    expect(metrics).toMatch(/lipsync_webhook_attempts_total\{outcome="delivered"\} [1-9]/);
    expect(metrics).toMatch(/lipsync_webhook_attempts_total\{outcome="retry"\} [1-9]/);
    expect(metrics).toMatch(/lipsync_webhook_attempts_total\{outcome="gone"\} 1/);
    expect(metrics).toMatch(/lipsync_webhook_outbox_depth \d+/);
  });

  it('never writes a signing secret or a signature to the log', async () => {
    const secrets = [await secretOf(alpha), await secretOf(beta)];
    const logs = t.logs();
    expect(logs).toContain('webhook signing root');
    for (const secret of secrets) expect(logs).not.toContain(secret.slice('whsec_'.length, 20));
    for (const r of receiver.received) expect(logs).not.toContain(r.headers['webhook-signature'].slice(3, 20));
  });
});

describe('a receiver that never answers 2xx', () => {
  it('is retried until WEBHOOK_MAX_AGE_HOURS, then FAILED', async () => {
    const receiver = await WebhookReceiver.start();
    receiver.answer = () => 503;
    // 1.8 s of retries, 100 ms apart at first: several attempts, then the give-up.
    const t = await startTestServer({
      env: {
        ALLOW_PRIVATE_URLS: 'true',
        ALLOW_HTTP_MEDIA_URLS: 'true',
        WEBHOOK_RETRY_BASE_MS: '100',
        WEBHOOK_SCAN_INTERVAL_MS: '100',
        WEBHOOK_MAX_AGE_HOURS: '0.0005',
      },
      fake: { processingAfterMs: 60_000, succeedAfterMs: 120_000 },
    });
    try {
      const res = await t.client.request(CREATE_MUTATION, {
        input: { ...TEXT_INPUT, callbackUrl: receiver.url('/down') },
      });
      const id = res.body.data!.createLipSync.id as string;
      const first = await waitFor(
        'the first webhook to be given up',
        async () => {
          const answer = await t.client.request(TASK_DELIVERIES, { id });
          const [queued] = answer.body.data!.lipSyncTask.webhookDeliveries as Delivery[];
          return queued?.state === 'FAILED' && queued;
        },
        20_000,
      );
      expect(first).toMatchObject({ status: 'QUEUED', lastResponseStatus: 503, nextAttemptAt: null });
      expect(first.attempts).toBeGreaterThanOrEqual(2);
      expect(receiver.received.filter((r) => r.event.data.status === 'QUEUED')).toHaveLength(first.attempts);
    } finally {
      await t.close();
      await receiver.close();
    }
  });
});

describe.each(['sqlite', 'postgres'])('a webhook nothing else announces (%s)', (store) => {
  it('goes out when its event is committed, not at the next scan', async () => {
    const receiver = await WebhookReceiver.start();
    const schema = store === 'postgres' ? await createTestSchema() : null;
    // One Kling slot, held by a task that never moves on: the second task stays QUEUED, and no status change is
    // published on the hub after its create. The scan would come only after a minute.
    const t = await startTestServer({
      env: {
        ALLOW_PRIVATE_URLS: 'true',
        ALLOW_HTTP_MEDIA_URLS: 'true',
        KLING_MAX_CONCURRENT_TASKS: '1',
        WEBHOOK_SCAN_INTERVAL_MS: '60000',
        ...(schema ? { DATABASE_URL: schema.url } : {}),
      },
      fake: { processingAfterMs: 600_000, succeedAfterMs: 1_200_000 },
    });
    try {
      await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
      const res = await t.client.request(CREATE_MUTATION, {
        input: { ...TEXT_INPUT, callbackUrl: receiver.url('/queued') },
      });
      expect(res.body.data!.createLipSync.status).toBe('QUEUED');
      const id = res.body.data!.createLipSync.id as string;
      await waitFor('the QUEUED webhook', () => receiver.forTask(id).length === 1, 15_000);
      expect(receiver.forTask(id)[0].event.data).toMatchObject({ id, status: 'QUEUED' });
    } finally {
      await t.close();
      await receiver.close();
      await schema?.drop();
    }
  });
});

describe('webhooks in production', () => {
  it('refuses a callbackUrl without WEBHOOK_SECRET, and derives the same tenant secret on every instance with it', async () => {
    const production = { NODE_ENV: 'production', ALLOW_ANONYMOUS: 'true' };
    const off = await startTestServer({ env: production });
    try {
      const res = await off.client.request(CREATE_MUTATION, {
        input: { ...TEXT_INPUT, callbackUrl: 'https://client.example/hooks' },
      });
      expect(res.body.errors?.[0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'WEBHOOKS_DISABLED',
        validationErrors: [expect.objectContaining({ field: 'callbackUrl' })],
      });
      expect((await off.client.request(CREATE_MUTATION, { input: TEXT_INPUT })).body.errors).toBeUndefined();
      for (const operation of ['{ webhookSigningSecret }', 'mutation { rotateWebhookSigningSecret }']) {
        const refused = await off.client.request(operation);
        expect(refused.body.errors?.[0].extensions).toMatchObject({
          code: 'BAD_USER_INPUT',
          reason: 'WEBHOOKS_DISABLED',
        });
      }
    } finally {
      await off.close();
    }
    const env = { ...production, WEBHOOK_SECRET: 'a-root-secret-of-at-least-32-characters' };
    const [one, two] = [await startTestServer({ env }), await startTestServer({ env })];
    try {
      const secrets = await Promise.all(
        [one, two].map(async (s) => (await s.client.request('{ webhookSigningSecret }')).body),
      );
      expect(secrets[0].errors).toBeUndefined();
      expect(secrets[0]).toEqual(secrets[1]); // two databases, one WEBHOOK_SECRET: the same derived secret
      expect(one.logs()).not.toContain(env.WEBHOOK_SECRET);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
