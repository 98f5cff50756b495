import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { childEnv, freePort, waitFor } from '../support/childServer';
import { useCrashLab } from '../support/crashLab';
import { startFakeKling, type FakeKling } from '../support/fakeKling';
import { GraphQLTestClient } from '../support/graphqlClient';
import { createTestSchema, type TestSchema } from '../support/pgTestDatabase';
import { TEST_REDIS_URL } from '../support/redis';
import { readTaskRows } from '../support/storeFile';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

type CreateBody = { external_task_id: string };

/** How many create requests the fake received for each of our task ids. */
function sendsPerTask(fake: FakeKling): Map<string, number> {
  const sends = new Map<string, number>();
  for (const request of fake.requests) {
    if (request.endpoint !== 'create') continue;
    const id = (request.body as CreateBody).external_task_id;
    sends.set(id, (sends.get(id) ?? 0) + 1);
  }
  return sends;
}

describe('kill -9 with 20 tasks queued and a dispatch in flight (SQLite, the real entry point)', () => {
  const lab = useCrashLab('lipsync-queue-crash-', { processingAfterMs: 100, succeedAfterMs: 400, maxRunning: 1 });

  it('after the restart every task is submitted exactly once and none is lost', async () => {
    const databaseFile = path.join(lab.dir, 'lipsync.db');
    const port = await freePort();
    // The lost answer is confirmed from Kling's list; the grace period outlasts the fake's slow answer below.
    const env = childEnv(lab.fake, databaseFile, {
      KLING_MAX_CONCURRENT_TASKS: '1',
      RECONCILE_INTERVAL_MS: '500',
      SUBMIT_GRACE_MS: '30000',
      KLING_TIMEOUT_MS: '15000',
      POLL_MIN_MS: '100',
      POLL_MAX_MS: '300',
    });
    const first = await lab.start({ env, port, cwd: lab.dir });
    const client = new GraphQLTestClient(first.url, first.wsUrl);

    // One slot. Kling sits on the first create for 8 s (it makes the task anyway; only the answer is late): that
    // submission holds the slot, so the 20 creates sent meanwhile are all QUEUED. Then the process is killed while
    // that create is still in flight.
    lab.fake.inject({ delayMs: 8_000 }, { endpoint: 'create', times: 1 });
    const send = (i: number) => client.request(CREATE_MUTATION, { input: { ...TEXT_INPUT, text: `crash queue ${i}` } });
    const inFlight = send(0).catch(() => null); // its answer is lost with the process
    await waitFor('the first create to be in flight at the fake', () => lab.fake.count('create') === 1, 10_000);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i + 1)));
    expect(answers.map((res) => res.body.errors)).toEqual(Array(20).fill(undefined));
    const created: { id: string; status: string }[] = answers.map((res) => res.body.data!.createLipSync);
    expect(created.filter((task) => task.status === 'QUEUED')).toHaveLength(20);
    expect(lab.fake.count('create')).toBe(1);
    const atCrash = readTaskRows(databaseFile);
    expect(await first.crash()).toEqual({ code: null, signal: 'SIGKILL' });
    await inFlight;
    const queuedAtCrash = atCrash.filter((row) => row.state === 'queued').length;
    const submittingAtCrash = atCrash.filter((row) => row.state === 'submitting').length;
    expect({ queuedAtCrash, submittingAtCrash }).toEqual({ queuedAtCrash: 20, submittingAtCrash: 1 });

    await lab.start({ env, port, cwd: lab.dir });
    const rows = await waitFor(
      'every task to succeed after the restart',
      () => {
        const now = readTaskRows(databaseFile);
        return now.length === 21 && now.every((row) => row.state === 'succeeded') && now;
      },
      90_000,
      200,
    );
    const sends = sendsPerTask(lab.fake);
    // the one whose answer was lost is known by its row (submitting at the crash)
    const lost = atCrash.find((row) => row.state === 'submitting')!;
    const ids = [lost.id, ...created.map((task) => task.id)].sort();
    expect(rows.map((row) => row.id).sort()).toEqual(ids); // none lost
    expect([...sends.keys()].sort()).toEqual(ids);
    const duplicates = [...sends.values()].filter((n) => n !== 1).length;
    expect(duplicates).toBe(0); // each submitted exactly once (the one in flight was found in Kling's list, not re-sent)
    expect(lab.fake.tasks.size).toBe(21);
    expect(lab.fake.tasks.maxRunningSeen).toBe(1);
    expect(lab.fake.tasks.concurrencyRefusals).toBe(0);
    process.stdout.write(
      `queue crash figures: tasks=${rows.length} queuedAtCrash=${queuedAtCrash} submittingAtCrash=${submittingAtCrash} ` +
        `createsAtFake=${lab.fake.count('create')} duplicates=${duplicates} maxRunningAtFake=${lab.fake.tasks.maxRunningSeen}\n`,
    );
  });
});

describe('two instances on one PostgreSQL + Redis with KLING_MAX_CONCURRENT_TASKS=2', () => {
  let schema: TestSchema;
  let fake: FakeKling;
  const servers: TestServer[] = [];
  beforeAll(async () => {
    schema = await createTestSchema();
    fake = await startFakeKling({ processingAfterMs: 100, succeedAfterMs: 400, maxRunning: 2 });
    const env = {
      DATABASE_URL: schema.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `lipsync-test:${randomBytes(4).toString('hex')}:`,
      KLING_MAX_CONCURRENT_TASKS: '2',
    };
    servers.push(await startTestServer({ sharedFake: fake, env }), await startTestServer({ sharedFake: fake, env }));
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await fake?.close();
    await schema?.drop();
  });

  it('never runs more than 2 at the fake and submits each task once', async () => {
    const created = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const res = await servers[i % 2].client.request(CREATE_MUTATION, {
          input: { ...TEXT_INPUT, text: `cluster ${i}` },
        });
        expect(res.body.errors).toBeUndefined();
        return res.body.data!.createLipSync as { id: string; status: string };
      }),
    );
    expect(created.filter((task) => task.status === 'SUBMITTED').length).toBeLessThanOrEqual(2);
    for (const task of created) {
      await waitFor(
        `task ${task.id} to succeed`,
        async () => (await servers[0].server.store.getById(task.id))?.state === 'succeeded',
        60_000,
        100,
      );
    }
    const sends = sendsPerTask(fake);
    expect([...sends.keys()].sort()).toEqual(created.map((task) => task.id).sort());
    const duplicates = [...sends.values()].filter((n) => n !== 1).length;
    expect(duplicates).toBe(0);
    expect(fake.tasks.maxRunningSeen).toBeLessThanOrEqual(2);
    expect(fake.tasks.concurrencyRefusals).toBe(0); // the cap is cluster-wide: Kling never had to refuse
    process.stdout.write(
      `queue cluster figures: tasks=${created.length} instances=2 maxRunningAtFake=${fake.tasks.maxRunningSeen} duplicates=${duplicates}\n`,
    );
  });
});
