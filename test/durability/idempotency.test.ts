import { sleep } from '../support/childServer';
import type { GraphQLTestClient } from '../support/graphqlClient';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

type Task = Record<string, unknown> & { id: string };
type CreateBody = { input: { text?: string }; external_task_id: string };

/** The upstream create requests that carried this text (each test uses its own text). */
function createsFor(t: TestServer, text: string): CreateBody[] {
  return t.fake.requests
    .filter((r) => r.endpoint === 'create' && (r.body as CreateBody | undefined)?.input?.text === text)
    .map((r) => r.body as CreateBody);
}

async function create(
  client: GraphQLTestClient,
  input: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Task> {
  const res = await client.request(CREATE_MUTATION, { input }, headers);
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.createLipSync as Task;
}

describe('idempotency keys', () => {
  let t: TestServer;
  let alpha: GraphQLTestClient;
  let beta: GraphQLTestClient;
  beforeAll(async () => {
    t = await startTestServer({
      // Tasks stay SUBMITTED and nobody polls them, so every answer about a task is the same answer.
      fake: { processingAfterMs: 600_000, succeedAfterMs: 1_200_000 },
      env: {
        AUTH_TOKENS: 'alpha=tok-alpha,beta=tok-beta',
        KLING_TIMEOUT_MS: '1000',
        POLL_MIN_MS: '60000',
        POLL_MAX_MS: '60000',
      },
    });
    alpha = t.client.withHeaders({ authorization: 'Bearer tok-alpha' });
    beta = t.client.withHeaders({ authorization: 'Bearer tok-beta' });
  });
  afterAll(() => t.close());

  it('same key and same input: the same task, one upstream call', async () => {
    const input = { ...TEXT_INPUT, text: 'idem same', idempotencyKey: 'k1' };
    const first = await create(alpha, input);
    const again = await create(alpha, input);
    const third = await create(alpha, { ...input, mode: 'TEXT_TO_VIDEO' }); // an explicit mode is the same input
    expect(again).toEqual(first);
    expect(third.id).toBe(first.id);
    expect(createsFor(t, 'idem same')).toHaveLength(1);
  });

  it('same key with a different input: BAD_USER_INPUT naming idempotencyKey, nothing sent upstream', async () => {
    const input = { ...TEXT_INPUT, text: 'idem original', idempotencyKey: 'k2' };
    const original = await create(alpha, input);
    const creates = t.fake.count('create');
    const res = await alpha.request(CREATE_MUTATION, { input: { ...input, text: 'idem changed' } });
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    const error = res.body.errors![0];
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.extensions?.validationErrors).toEqual([expect.objectContaining({ field: 'idempotencyKey' })]);
    expect(t.fake.count('create')).toBe(creates);
    // The key still belongs to the first input.
    expect((await create(alpha, input)).id).toBe(original.id);
  });

  it('keys are per tenant: the same key in another tenant is another task', async () => {
    const input = { ...TEXT_INPUT, text: 'idem tenants', idempotencyKey: 'shared-key' };
    const a = await create(alpha, input);
    const b = await create(beta, input);
    expect(b.id).not.toBe(a.id);
    expect((await create(beta, input)).id).toBe(b.id);
    expect((await create(alpha, input)).id).toBe(a.id);
    expect(createsFor(t, 'idem tenants')).toHaveLength(2);
    // And neither tenant can read the other's task.
    const peek = await beta.request('query ($id: ID!) { lipSyncTask(id: $id) { id } }', { id: a.id });
    expect(peek.body.data).toEqual({ lipSyncTask: null });
  });

  it('50 concurrent identical requests with one key: exactly 1 upstream create and 50 identical answers', async () => {
    t.fake.inject({ delayMs: 300 }, { endpoint: 'create' }); // the first is still in flight when the rest arrive
    const input = { ...TEXT_INPUT, text: 'idem fifty', idempotencyKey: 'k50' };
    const answers = await Promise.all(Array.from({ length: 50 }, () => alpha.request(CREATE_MUTATION, { input })));
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
    }
    const tasks = answers.map((res) => res.body.data!.createLipSync as Task);
    expect(new Set(tasks.map((task) => JSON.stringify(task))).size).toBe(1);
    expect(createsFor(t, 'idem fifty')).toHaveLength(1);
    expect(tasks[0].id).toBe(createsFor(t, 'idem fifty')[0].external_task_id); // our id, sent as external_task_id
    expect(tasks[0].klingTaskId).toBe(t.fake.tasks.taskByExternalId(tasks[0].id)!.task_id);
  });

  it('the Idempotency-Key header is the default key; an idempotencyKey in the input wins over it', async () => {
    const input = { ...TEXT_INPUT, text: 'idem header' };
    const first = await create(alpha, input, { 'Idempotency-Key': 'hdr-1' });
    expect((await create(alpha, input, { 'Idempotency-Key': 'hdr-1' })).id).toBe(first.id);
    expect((await create(alpha, { ...input, idempotencyKey: 'hdr-1' })).id).toBe(first.id);
    expect(createsFor(t, 'idem header')).toHaveLength(1);

    const explicit = await create(alpha, { ...input, idempotencyKey: 'body-1' }, { 'Idempotency-Key': 'hdr-1' });
    expect(explicit.id).not.toBe(first.id);
    expect(createsFor(t, 'idem header')).toHaveLength(2);
    // Without any key, the same input is a new task each time.
    const a = await create(alpha, input);
    const b = await create(alpha, input);
    expect(new Set([first.id, explicit.id, a.id, b.id]).size).toBe(4);
  });

  it('an upstream timeout is UPSTREAM_TIMEOUT (retryable); the retry finds the accepted task instead of creating another', async () => {
    t.fake.inject({ acceptThenHang: true }, { endpoint: 'create' });
    const input = { ...TEXT_INPUT, text: 'idem timeout', idempotencyKey: 'k-timeout' };
    const res = await alpha.request(CREATE_MUTATION, { input });
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0].extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', retryable: true });

    const [sent] = createsFor(t, 'idem timeout');
    const accepted = t.fake.tasks.taskByExternalId(sent.external_task_id);
    expect(accepted).toBeDefined(); // the upstream did take it: only its answer was lost

    const creates = t.fake.count('create');
    const retry = await create(alpha, input);
    expect(retry.id).toBe(sent.external_task_id);
    expect(retry.klingTaskId).toBe(accepted!.task_id);
    expect(retry.status).toBe('SUBMITTED');
    expect(t.fake.count('create')).toBe(creates);
    expect(createsFor(t, 'idem timeout')).toHaveLength(1);
    expect(t.fake.count('list')).toBeGreaterThan(0); // found in the upstream's list, by external_task_id
    expect((await t.server.store.getById(retry.id))?.state).toBe('submitted');
    expect((await create(alpha, input)).id).toBe(retry.id);
  });
});

describe('idempotency keys expire (IDEMPOTENCY_TTL_HOURS)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      fake: { processingAfterMs: 600_000, succeedAfterMs: 1_200_000 },
      env: { IDEMPOTENCY_TTL_HOURS: '0.0003' }, // 1.08 s
    });
  });
  afterAll(() => t.close());

  it('after expiry the same key creates a new task; the old task is kept', async () => {
    const input = { ...TEXT_INPUT, text: 'idem expiry', idempotencyKey: 'k-expiring' };
    const first = await create(t.client, input);
    await sleep(1_500);
    const second = await create(t.client, input);
    expect(second.id).not.toBe(first.id);
    expect(createsFor(t, 'idem expiry')).toHaveLength(2);
    // The key now names the new task; the old one is still there under its id.
    expect((await create(t.client, input)).id).toBe(second.id);
    expect((await t.server.store.getById(first.id))?.state).toBe('submitted');
  });
});
