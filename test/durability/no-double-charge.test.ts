import { randomBytes } from 'node:crypto';
import type { KlingCreateBody } from '../../src/upstream/kling.types';
import { waitFor } from '../support/childServer';
import type { GraphQLTestClient } from '../support/graphqlClient';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

/** Kling lists a task this long after accepting it. */
const LIST_DELAY_MS = 3_000;
/** SUBMIT_GRACE_MS here: longer than the list's delay, as the default (minutes) is in production. */
const GRACE_MS = 6_000;

interface Answer {
  id?: string;
  klingTaskId?: string;
  code?: string;
  retryable?: boolean;
  message?: string;
}

async function create(client: GraphQLTestClient, input: Record<string, unknown>): Promise<Answer> {
  const res = await client.request(CREATE_MUTATION, { input });
  const error = res.body.errors?.[0];
  if (error) {
    const extensions = error.extensions as { code?: string; retryable?: boolean };
    return { code: extensions.code, retryable: extensions.retryable, message: error.message };
  }
  const task = res.body.data!.createLipSync as { id: string; klingTaskId: string };
  return { id: task.id, klingTaskId: task.klingTaskId };
}

/** The creates the fake received carrying this text (each request in these tests has a text of its own). */
function createsFor(t: TestServer, text: string): KlingCreateBody[] {
  return t.fake.requests
    .filter((r) => r.endpoint === 'create' && (r.body as KlingCreateBody).input?.text === text)
    .map((r) => r.body as KlingCreateBody);
}

/**
 * A create whose answer is lost may still be accepted (and billed) by Kling, which lists a task only some time
 * after accepting it. A keyed retry in that window must never make a second upstream task: the row stays
 * `submitting` until Kling's list shows it, or until a grace period has passed with searches that all missed it.
 */
describe('no second paid task for one idempotency key after a lost answer', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      fake: { processingAfterMs: 600_000, succeedAfterMs: 1_200_000 },
      env: { KLING_TIMEOUT_MS: '1000', SUBMIT_GRACE_MS: String(GRACE_MS), RECONCILE_INTERVAL_MS: '300' },
    });
  });
  beforeEach(() => t.fake.setListVisibilityDelay(LIST_DELAY_MS));
  afterAll(() => t.close());

  it('accepted but not listed yet: retries get a retryable error and no create, until the list shows the task', async () => {
    const text = `double charge ${randomBytes(4).toString('hex')}`;
    const input = { ...TEXT_INPUT, text, idempotencyKey: `k-${text}` };
    t.fake.inject({ acceptThenHang: true }, { endpoint: 'create' });

    const first = await create(t.client, input);
    expect(first).toMatchObject({ code: 'UPSTREAM_TIMEOUT', retryable: true });
    const [sent] = createsFor(t, text);
    const accepted = t.fake.tasks.taskByExternalId(sent.external_task_id!);
    expect(accepted).toBeDefined(); // Kling took it and bills it; only the answer was lost

    // Retries while Kling's list does not show the task yet: each searched the list, none created again.
    const listsBefore = t.fake.count('list');
    const retries: Answer[] = [];
    while (Date.now() - accepted!.created_at < LIST_DELAY_MS - 500) {
      retries.push(await create(t.client, input));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(retries.length).toBeGreaterThan(0);
    for (const retry of retries) {
      expect(retry).toMatchObject({
        code: 'UPSTREAM_TIMEOUT',
        retryable: true,
        message: expect.stringMatching(/still being confirmed/),
      });
    }
    expect(t.fake.count('list')).toBeGreaterThan(listsBefore);
    expect(createsFor(t, text)).toHaveLength(1);

    // Once listed, the row is settled (by the reconciler or a retry) with Kling's task, and retries answer it.
    const settled = await waitFor(
      'the row to be settled from the list',
      async () => {
        const row = await t.server.store.getById(sent.external_task_id!);
        return row?.state === 'submitted' && row;
      },
      15_000,
      100,
    );
    expect(settled.upstreamId).toBe(accepted!.task_id);
    expect(await create(t.client, input)).toEqual({ id: sent.external_task_id, klingTaskId: accepted!.task_id });

    const counts = {
      retriesInWindow: retries.length,
      createsForKey: createsFor(t, text).length,
      tasksAtKling: t.fake.tasks.allTasks().filter((task) => task.task_info?.external_task_id === sent.external_task_id)
        .length,
    };
    console.log(`no-double-charge (accepted, listed late): ${JSON.stringify(counts)}`);
    expect(counts.createsForKey).toBe(1);
    expect(counts.tasksAtKling).toBe(1);
  });

  it('never accepted: retries wait out the grace period, then one retry submits and makes exactly one task', async () => {
    const text = `never accepted ${randomBytes(4).toString('hex')}`;
    const input = { ...TEXT_INPUT, text, idempotencyKey: `k-${text}` };
    t.fake.inject({ hang: true }, { endpoint: 'create' });

    const first = await create(t.client, input);
    expect(first).toMatchObject({ code: 'UPSTREAM_TIMEOUT', retryable: true });
    const [sent] = createsFor(t, text);
    expect(t.fake.tasks.taskByExternalId(sent.external_task_id!)).toBeUndefined();
    const startedAt = Date.now();

    // Within the grace period nothing may be submitted again, however often the client retries.
    const early = await create(t.client, input);
    expect(early).toMatchObject({ code: 'UPSTREAM_TIMEOUT', retryable: true });
    expect(createsFor(t, text)).toHaveLength(1);

    // After it, and after several searches that all missed it, the row is `submit_failed` (safe to submit again).
    await waitFor(
      'the row to be declared never accepted',
      async () => {
        const row = await t.server.store.getById(sent.external_task_id!);
        return row?.state === 'submit_failed';
      },
      GRACE_MS + 15_000,
      100,
    );
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(GRACE_MS - 1_500); // the submission began just before startedAt
    const retry = await create(t.client, input);
    expect(retry.id).toEqual(expect.any(String));

    const creates = createsFor(t, text);
    const tasks = t.fake.tasks
      .allTasks()
      .filter((task) => creates.some((c) => c.external_task_id === task.task_info?.external_task_id));
    console.log(
      `no-double-charge (never accepted): ${JSON.stringify({ createsForKey: creates.length, tasksAtKling: tasks.length })}`,
    );
    expect(creates).toHaveLength(2); // the one that hung, and the one after the grace period
    expect(tasks.map((task) => task.task_id)).toEqual([retry.klingTaskId]);
    expect(retry.id).toBe(sent.external_task_id); // the same task, under the same id of ours
  });
});
