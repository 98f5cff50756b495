import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { childEnv, freePort, sleep, waitFor } from '../support/childServer';
import { useCrashLab } from '../support/crashLab';
import { GraphQLTestClient } from '../support/graphqlClient';
import { CREATE_MUTATION, TEXT_INPUT, type TestServer } from '../support/testServer';
import { startTwoInstances, type TwoInstances } from '../support/twoInstances';
import { WebhookReceiver } from '../support/webhookReceiver';

const DELIVERIES = /* GraphQL */ `
  query ($id: ID!) { lipSyncTask(id: $id) { status webhookDeliveries { id status state attempts } } }
`;
const WEBHOOK_ENV = {
  ALLOW_PRIVATE_URLS: 'true',
  ALLOW_HTTP_MEDIA_URLS: 'true',
  WEBHOOK_RETRY_BASE_MS: '200',
  WEBHOOK_SCAN_INTERVAL_MS: '100',
};

interface Listed {
  status: string;
  webhookDeliveries: Array<{ id: string; status: string; state: string; attempts: number }>;
}

async function listed(client: GraphQLTestClient, id: string): Promise<Listed> {
  const res = await client.request<{ lipSyncTask: Listed }>(DELIVERIES, { id });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.lipSyncTask;
}

/**
 * The receiver's view of a run against the events the store holds (each task's `webhookDeliveries`): each
 * webhook-id answered 200 once (duplicates = 0), every event there (lost = 0), each task's events in the order of
 * its statuses. Returns the counts for the report.
 */
async function countDeliveries(receiver: WebhookReceiver, client: GraphQLTestClient, taskIds: string[]) {
  const events = (await Promise.all(taskIds.map((id) => listed(client, id)))).map((t) => t.webhookDeliveries);
  const accepted = receiver.received.filter((r) => r.answeredOk);
  const perId = new Map<string, number>();
  for (const r of accepted) perId.set(r.id, (perId.get(r.id) ?? 0) + 1);
  const ids = events.flat().map((d) => d.id);
  return {
    events: ids.length,
    attempts: receiver.received.length,
    delivered: accepted.length,
    duplicates: [...perId.values()].reduce((sum, n) => sum + n - 1, 0),
    lost: ids.filter((id) => !perId.has(id)).length,
    outOfOrder: taskIds.filter(
      (id, i) =>
        JSON.stringify(accepted.filter((r) => r.event.data.id === id).map((r) => r.id)) !==
        JSON.stringify(events[i].map((d) => d.id)),
    ).length,
    /** every task's SUCCEEDED among them */
    succeeded: events.filter((list) => list.at(-1)?.status === 'SUCCEEDED').length,
  };
}

describe('webhooks survive kill -9', () => {
  let receiver: WebhookReceiver | null = null;
  const lab = useCrashLab('lipsync-webhook-crash-', { processingAfterMs: 300, succeedAfterMs: 900 });
  afterAll(async () => {
    await receiver?.close();
  });

  it('delivers, once each, after a restart, the events written before the crash and not yet delivered', async () => {
    const databaseFile = path.join(lab.dir, 'lipsync.db');
    const port = await freePort();
    // Nothing listens there until after the crash: every status change is written, none delivered.
    const receiverPort = await freePort();
    const env = childEnv(lab.fake, databaseFile, {
      ...WEBHOOK_ENV,
      POLL_MIN_MS: '50',
      POLL_MAX_MS: '200',
      WEBHOOK_SECRET: 'the-crash-test-root-secret-of-32-characters',
    });
    const first = await lab.start({ env, port, cwd: lab.dir });
    const client = new GraphQLTestClient(first.url, first.wsUrl);
    const taskIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await client.request(CREATE_MUTATION, {
        input: { ...TEXT_INPUT, callbackUrl: `http://127.0.0.1:${receiverPort}/hooks` },
      });
      expect(res.body.errors).toBeUndefined();
      taskIds.push(res.body.data!.createLipSync.id as string);
    }
    const secret = (await client.request('{ webhookSigningSecret }')).body.data!.webhookSigningSecret as string;
    // Every status change made and written; the first event of each task tried (refused) and still pending.
    await waitFor(
      'every task to succeed with its four webhooks pending',
      async () => {
        const tasks = await Promise.all(taskIds.map((id) => listed(client, id)));
        return tasks.every(
          (t) =>
            t.status === 'SUCCEEDED' &&
            t.webhookDeliveries.at(-1)?.status === 'SUCCEEDED' &&
            t.webhookDeliveries.every((d) => d.state === 'PENDING') &&
            t.webhookDeliveries[0].attempts >= 1,
        );
      },
      20_000,
      100,
    );
    expect(await first.crash()).toEqual({ code: null, signal: 'SIGKILL' });

    receiver = await WebhookReceiver.start(receiverPort);
    const second = await lab.start({ env, port, cwd: lab.dir });
    const after = new GraphQLTestClient(second.url, second.wsUrl);
    await waitFor(
      'every webhook delivered after the restart',
      async () => {
        const tasks = await Promise.all(taskIds.map((id) => listed(after, id)));
        return tasks.every((t) => t.webhookDeliveries.every((d) => d.state === 'DELIVERED'));
      },
      20_000,
      100,
    );
    await sleep(1_000); // ten scans: time for any repeat to (wrongly) go out
    const counts = await countDeliveries(receiver, after, taskIds);
    // Each event once: as many attempts as events (the refused ones before the crash never reached a receiver).
    expect(counts).toEqual({
      events: counts.delivered,
      attempts: counts.delivered,
      delivered: counts.events,
      duplicates: 0,
      lost: 0,
      outOfOrder: 0,
      succeeded: 3,
    });
    expect(counts.events).toBeGreaterThanOrEqual(9); // QUEUED, SUBMITTED and SUCCEEDED of each, PROCESSING if polled
    console.log(`kill -9: ${JSON.stringify(counts)}`);
    for (const r of receiver.received) expect(new Webhook(secret).verify(r.body, r.headers)).toEqual(r.event);
  });
});

describe('webhooks from two instances sharing PostgreSQL and Redis', () => {
  let both: TwoInstances;
  let receiver: WebhookReceiver;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    // Every third event fails its first attempt, so retries (and their claims) move between the instances too.
    receiver.answer = (_request, earlier) => (earlier === 0 && receiver.received.length % 3 === 0 ? 500 : 200);
    both = await startTwoInstances({ processingAfterMs: 300, succeedAfterMs: 900 }, WEBHOOK_ENV);
    ({ a, b } = both);
  });
  afterAll(async () => {
    await both?.close();
    await receiver?.close();
  });

  it('delivers each event once, in order, signed with the secret both instances share', async () => {
    const taskIds: string[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const res = await (i % 2 ? a : b).client.request(CREATE_MUTATION, {
          input: { ...TEXT_INPUT, callbackUrl: receiver.url('/hooks') },
        });
        expect(res.body.errors).toBeUndefined();
        taskIds.push(res.body.data!.createLipSync.id as string);
      }),
    );
    await waitFor(
      'every webhook delivered',
      async () => {
        const tasks = await Promise.all(taskIds.map((id) => listed(a.client, id)));
        return tasks.every(
          (t) => t.webhookDeliveries.length === 4 && t.webhookDeliveries.every((d) => d.state === 'DELIVERED'),
        );
      },
      60_000,
      100,
    );
    await sleep(1_000); // ten scans on each instance: time for any repeat to (wrongly) go out
    const counts = await countDeliveries(receiver, a.client, taskIds);
    expect({ ...counts, attempts: undefined }).toEqual({
      events: counts.delivered,
      attempts: undefined,
      delivered: counts.events,
      duplicates: 0,
      lost: 0,
      outOfOrder: 0,
      succeeded: 10,
    });
    expect(counts.attempts).toBeGreaterThan(counts.delivered); // the failed first attempts were retried
    console.log(`two instances: ${JSON.stringify(counts)}`);
    const secretA = (await a.client.request('{ webhookSigningSecret }')).body.data!.webhookSigningSecret;
    const secretB = (await b.client.request('{ webhookSigningSecret }')).body.data!.webhookSigningSecret;
    expect(secretB).toBe(secretA);
    for (const r of receiver.received)
      expect(new Webhook(secretA as string).verify(r.body, r.headers)).toEqual(r.event);
    // Both instances' attempt counters together: one 2xx per event, whoever sent it.
    const delivered = await Promise.all(
      [a, b].map(async (s) => {
        const text = await (await fetch(`${s.server.origin}/metrics`)).text();
        return Number(/lipsync_webhook_attempts_total\{outcome="delivered"\} (\d+)/.exec(text)?.[1] ?? 0);
      }),
    );
    expect(delivered[0] + delivered[1]).toBe(counts.events);
    // a loaded CI machine runs this beside every other suite: room for the retries of 40 events
  }, 90_000);
});
