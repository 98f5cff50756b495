import { waitFor } from '../support/childServer';
import type { GraphQLTestClient } from '../support/graphqlClient';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

const TASK = 'query($id: ID!) { lipSyncTask(id: $id) { id klingTaskId status queuePosition statusMessage } }';
const CANCEL = 'mutation($id: ID!) { cancelLipSync(id: $id) { id klingTaskId status queuePosition } }';
const QUEUED_LIST = '{ lipSyncTasks(first: 100, status: QUEUED) { edges { node { id status queuePosition } } } }';
const ENTITIES =
  'query($r: [_Any!]!) { _entities(representations: $r) { ... on LipSyncTask { id klingTaskId status } } }';
const FOLLOW = 'subscription($id: ID!) { lipSyncTaskUpdated(id: $id) { id klingTaskId status queuePosition } }';

interface Created {
  id: string;
  klingTaskId: string | null;
  status: string;
  queuePosition: number | null;
}

const TOKENS = 'acme=tok-acme-1,globex=tok-globex-2';

async function create(client: GraphQLTestClient, text: string): Promise<Created> {
  const res = await client.request(CREATE_MUTATION, { input: { ...TEXT_INPUT, text } });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.createLipSync as Created;
}

async function status(client: GraphQLTestClient, id: string): Promise<string | undefined> {
  return (await client.request(TASK, { id })).body.data?.lipSyncTask?.status as string | undefined;
}

/** The external_task_id of every create the fake accepted (made a task for), in arrival order. */
function acceptedExternalIds(t: TestServer): string[] {
  return t.fake.tasks
    .allTasks()
    .reverse()
    .map((task) => task.task_info.external_task_id as string);
}

describe('the queue in front of Kling’s concurrency limit', () => {
  describe('KLING_MAX_CONCURRENT_TASKS=2, the fake allowing 2 running tasks, 2 tenants', () => {
    let t: TestServer;
    let acme: GraphQLTestClient;
    let globex: GraphQLTestClient;
    beforeAll(async () => {
      t = await startTestServer({
        env: { AUTH_TOKENS: TOKENS, KLING_MAX_CONCURRENT_TASKS: '2' },
        fake: { maxRunning: 2, processingAfterMs: 100, succeedAfterMs: 400 },
      });
      acme = t.client.withHeaders({ authorization: 'Bearer tok-acme-1' });
      globex = t.client.withHeaders({ authorization: 'Bearer tok-globex-2' });
    });
    afterAll(() => t?.close());

    it('answers 10 creates at once (2 SUBMITTED, 8 QUEUED with positions), runs ≤ 2 at the fake, alternates tenants, all SUCCEED', async () => {
      const started = Date.now();
      const tenants = new Map<string, string>();
      const created = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const client = i % 2 === 0 ? acme : globex;
          const task = await create(client, `task ${i}`);
          tenants.set(task.id, i % 2 === 0 ? 'acme' : 'globex');
          return { task, client };
        }),
      );
      // "At once": nothing waited for a slot (the fake's tasks take 400 ms; 8 queued ones would take over a second).
      expect(Date.now() - started).toBeLessThan(1_500);
      const byStatus = (s: string) => created.filter(({ task }) => task.status === s);
      expect(byStatus('SUBMITTED')).toHaveLength(2);
      expect(byStatus('QUEUED')).toHaveLength(8);
      for (const { task } of byStatus('SUBMITTED'))
        expect(task).toMatchObject({ klingTaskId: expect.stringMatching(/^\d+$/), queuePosition: null });
      for (const { task } of byStatus('QUEUED')) {
        expect(task.klingTaskId).toBeNull();
        expect(task.queuePosition).toBeGreaterThanOrEqual(1);
        expect(task.queuePosition).toBeLessThanOrEqual(8);
      }

      for (const { task, client } of created) {
        await waitFor(
          `task ${task.id} to succeed`,
          async () => (await status(client, task.id)) === 'SUCCEEDED',
          30_000,
          100,
        );
      }
      const accepted = acceptedExternalIds(t);
      expect(accepted).toHaveLength(10);
      expect(new Set(accepted)).toEqual(new Set(created.map(({ task }) => task.id))); // each task exactly once
      expect(t.fake.tasks.maxRunningSeen).toBeLessThanOrEqual(2);
      expect(t.fake.tasks.concurrencyRefusals).toBe(0); // the local cap kept every create inside the limit
      // Round-robin: at every point of the submission order neither tenant is more than one task ahead.
      let lead = 0;
      for (const id of accepted) {
        lead += tenants.get(id) === 'acme' ? 1 : -1;
        expect(Math.abs(lead)).toBeLessThanOrEqual(1);
      }
      process.stdout.write(
        `queue figures: tasks=${accepted.length} maxRunningAtFake=${t.fake.tasks.maxRunningSeen} ` +
          `duplicates=${accepted.length - new Set(accepted).size} refusals1303=${t.fake.tasks.concurrencyRefusals}\n`,
      );
    });

    it('lists QUEUED tasks with their positions, and cancels a queued task before it ever reaches Kling', async () => {
      const running = [await create(acme, 'hold 1'), await create(acme, 'hold 2')];
      expect(running.map((task) => task.status)).toEqual(['SUBMITTED', 'SUBMITTED']);
      const queued = await create(acme, 'to cancel');
      const other = await create(globex, 'stays queued');
      expect([queued.status, other.status]).toEqual(['QUEUED', 'QUEUED']);

      const list = (await acme.request(QUEUED_LIST)).body.data!.lipSyncTasks.edges.map(
        (e: { node: Created }) => e.node,
      );
      expect(list).toEqual([{ id: queued.id, status: 'QUEUED', queuePosition: expect.any(Number) }]);

      const canceled = await acme.request(CANCEL, { id: queued.id });
      expect(canceled.body).toEqual({
        data: { cancelLipSync: { id: queued.id, klingTaskId: null, status: 'CANCELED', queuePosition: null } },
      });
      // another tenant's task: NOT_FOUND, and it stays queued
      const foreign = await acme.request(CANCEL, { id: other.id });
      expect(foreign.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      // a submitted task: NOT_CANCELABLE with its status
      const tooLate = await acme.request(CANCEL, { id: running[0].id });
      expect(tooLate.body.errors?.[0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'NOT_CANCELABLE',
        status: expect.stringMatching(/SUBMITTED|PROCESSING|SUCCEEDED/),
      });
      // unknown: NOT_FOUND
      expect((await acme.request(CANCEL, { id: 'no-such-task' })).body.errors?.[0].extensions?.code).toBe('NOT_FOUND');

      await waitFor(
        'the other tenant’s queued task to succeed',
        async () => (await status(globex, other.id)) === 'SUCCEEDED',
        30_000,
        100,
      );
      expect(await status(acme, queued.id)).toBe('CANCELED');
      const sent = t.fake.requests
        .filter((r) => r.endpoint === 'create')
        .map((r) => (r.body as { external_task_id?: string }).external_task_id);
      expect(sent).not.toContain(queued.id);
      expect(sent).toContain(other.id);
    });

    it('streams QUEUED → SUBMITTED → … → SUCCEEDED to a subscriber, by our id or by the Kling id', async () => {
      const holds = [await create(globex, 'hold a'), await create(globex, 'hold b')];
      const queued = await create(acme, 'followed');
      expect(queued.status).toBe('QUEUED');
      const ws = acme.ws();
      try {
        const events = (await acme.subscribeAll(ws, FOLLOW, { id: queued.id })) as {
          data: { lipSyncTaskUpdated: Created };
        }[];
        const statuses = events.map((e) => e.data.lipSyncTaskUpdated.status).filter((s, i, all) => s !== all[i - 1]);
        expect(statuses[0]).toBe('QUEUED');
        expect(statuses.at(-1)).toBe('SUCCEEDED');
        expect(statuses).toContain('SUBMITTED');
        const klingTaskId = events.at(-1)!.data.lipSyncTaskUpdated.klingTaskId!;
        expect(klingTaskId).toMatch(/^\d+$/);
        // Old links that hold Kling's id keep working: the query, the subscription and _entities.
        expect((await acme.request(TASK, { id: klingTaskId })).body.data!.lipSyncTask).toMatchObject({
          id: queued.id,
          klingTaskId,
          status: 'SUCCEEDED',
        });
        const byKlingId = (await acme.subscribeAll(ws, FOLLOW, { id: klingTaskId })) as {
          data: { lipSyncTaskUpdated: Created };
        }[];
        expect(byKlingId.at(-1)!.data.lipSyncTaskUpdated).toMatchObject({ id: queued.id, status: 'SUCCEEDED' });
        const entities = await acme.request(ENTITIES, {
          r: [
            { __typename: 'LipSyncTask', id: klingTaskId },
            { __typename: 'LipSyncTask', id: queued.id },
          ],
        });
        expect(entities.body.data!._entities).toEqual([
          { id: queued.id, klingTaskId, status: 'SUCCEEDED' },
          { id: queued.id, klingTaskId, status: 'SUCCEEDED' },
        ]);
      } finally {
        await ws.dispose();
      }
      for (const hold of holds)
        await waitFor('holds to end', async () => (await status(globex, hold.id)) === 'SUCCEEDED', 30_000, 100);
    });

    it('shows the queue on /metrics', async () => {
      const res = await fetch(`${t.server.origin}/metrics`);
      const text = await res.text();
      for (const name of [
        'lipsync_queue_depth',
        'lipsync_queue_oldest_age_seconds',
        'lipsync_upstream_live_tasks',
        'lipsync_upstream_max_concurrent_tasks',
        'lipsync_upstream_concurrency_refusals_total',
      ]) {
        expect(text).toMatch(new RegExp(`^${name} `, 'm'));
      }
      expect(text).toMatch(/^lipsync_upstream_max_concurrent_tasks 2$/m);
    });
  });

  describe('a subscriber to a QUEUED task (cap 1, tasks running 2 s)', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer({
        env: { KLING_MAX_CONCURRENT_TASKS: '1' },
        fake: { processingAfterMs: 500, succeedAfterMs: 2_000 },
      });
    });
    afterAll(() => t?.close());

    it('tells a subscriber when its queue position moves, at most once a second', async () => {
      const hold = await create(t.client, 'hold');
      expect(hold.status).toBe('SUBMITTED');
      const ahead = await create(t.client, 'ahead');
      const behind = await create(t.client, 'behind');
      expect([ahead.status, behind.status]).toEqual(['QUEUED', 'QUEUED']);
      expect(behind.queuePosition).toBe(2);
      const ws = t.client.ws();
      const events: { at: number; task: Created }[] = [];
      try {
        const ended = new Promise<void>((resolve, reject) => {
          ws.subscribe<{ lipSyncTaskUpdated: Created }>(
            { query: FOLLOW, variables: { id: behind.id } },
            {
              next: (r) => events.push({ at: Date.now(), task: r.data!.lipSyncTaskUpdated }),
              error: reject,
              complete: resolve,
            },
          );
        });
        await waitFor('the first event', () => events.length > 0, 10_000);
        expect(events[0].task).toMatchObject({ status: 'QUEUED', queuePosition: 2 });
        expect((await t.client.request(CANCEL, { id: ahead.id })).body.data?.cancelLipSync.status).toBe('CANCELED');
        await waitFor('the position event', () => events.find((e) => e.task.queuePosition === 1), 10_000);
        await ended;
      } finally {
        await ws.dispose();
      }
      const statuses = events.map((e) => e.task.status).filter((st, i, all) => st !== all[i - 1]);
      expect(statuses).toEqual(['QUEUED', 'SUBMITTED', 'PROCESSING', 'SUCCEEDED']);
      // Position events (QUEUED after QUEUED) come at most once a second (10 % tolerance for timers).
      const positionEvents = events.filter((e, i) => i > 0 && e.task.status === 'QUEUED');
      for (let i = 1; i < positionEvents.length; i++)
        expect(positionEvents[i].at - positionEvents[i - 1].at).toBeGreaterThanOrEqual(900);
    });
  });

  describe('no local cap, the fake answering 1303 beyond 2 running tasks', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer({ fake: { maxRunning: 2, processingAfterMs: 100, succeedAfterMs: 400 } });
    });
    afterAll(() => t?.close());

    it('queues what Kling refuses instead of failing it, and makes each task at Kling once', async () => {
      const created = await Promise.all(Array.from({ length: 6 }, (_, i) => create(t.client, `burst ${i}`)));
      expect(created.filter((task) => task.status === 'QUEUED').length).toBeGreaterThanOrEqual(4);
      expect(t.fake.tasks.concurrencyRefusals).toBeGreaterThanOrEqual(1);
      for (const task of created) {
        await waitFor(
          `task ${task.id} to succeed`,
          async () => (await status(t.client, task.id)) === 'SUCCEEDED',
          60_000,
          100,
        );
      }
      const accepted = acceptedExternalIds(t);
      expect(accepted.sort()).toEqual(created.map((task) => task.id).sort()); // every task made once, none twice
      expect(t.fake.tasks.maxRunningSeen).toBeLessThanOrEqual(2);
      const metrics = await (await fetch(`${t.server.origin}/metrics`)).text();
      expect(Number(/^lipsync_upstream_concurrency_refusals_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(
        1,
      );
    });
  });

  describe('QUEUE_MAX_WAIT_MINUTES', () => {
    let t: TestServer;
    beforeAll(async () => {
      // 0.005 minutes = 300 ms; the fake's tasks run 5 s, so the second task cannot get a slot in time.
      t = await startTestServer({
        env: { KLING_MAX_CONCURRENT_TASKS: '1', QUEUE_MAX_WAIT_MINUTES: '0.005' },
        fake: { succeedAfterMs: 5_000 },
      });
    });
    afterAll(() => t?.close());

    it('fails a task queued longer, saying why, and never sends it', async () => {
      expect((await create(t.client, 'runs')).status).toBe('SUBMITTED');
      const late = await create(t.client, 'waits too long');
      expect(late.status).toBe('QUEUED');
      const failed = await waitFor(
        'the queued task to expire',
        async () => {
          const task = (await t.client.request(TASK, { id: late.id })).body.data?.lipSyncTask;
          return task?.status === 'FAILED' ? task : undefined;
        },
        15_000,
        100,
      );
      expect(failed.statusMessage).toMatch(/queue/i);
      expect(failed.statusMessage).toMatch(/QUEUE_MAX_WAIT_MINUTES/);
      expect(acceptedExternalIds(t)).not.toContain(late.id);
    });
  });
});
