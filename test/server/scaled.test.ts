import { randomBytes } from 'node:crypto';
import type { FakeKling } from '../support/fakeKling';
import { CREATE_MUTATION, TEXT_INPUT, type TestServer } from '../support/testServer';
import { startTwoInstances, type TwoInstances } from '../support/twoInstances';

const FOLLOW = 'subscription($id: ID!) { lipSyncTaskUpdated(id: $id) { id status } }';

/** Two instances on one PostgreSQL and one Redis, as docker-compose.yml runs them. */
describe('two instances sharing PostgreSQL and Redis', () => {
  let both: TwoInstances;
  let fake: FakeKling;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    // 1.5 s to create, read and subscribe before PROCESSING, then 1.5 s of it: a loaded machine needs more than
    // the 300 ms / 600 ms this had (a loaded run subscribed after PROCESSING began).
    both = await startTwoInstances({ processingAfterMs: 1_500, succeedAfterMs: 3_000 });
    ({ a, b, fake } = both);
  });
  afterAll(() => both?.close());

  it('reports the store and Redis as ready', async () => {
    const res = await fetch(`${a.server.origin}/readyz`);
    expect(res.status).toBe(200);
  });

  it('follows a task created on one instance from a subscription on the other, to completion', async () => {
    const created = await a.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
    expect(created.body.errors).toBeUndefined();
    const id = created.body.data!.createLipSync.id;
    const seenOnB = await b.client.request('query($id: ID!) { lipSyncTask(id: $id) { id } }', { id });
    expect(seenOnB.body.errors).toBeUndefined();
    expect(seenOnB.body.data!.lipSyncTask).toEqual({ id });
    const client = b.client.ws();
    const events = await b.client.subscribeAll(client, FOLLOW, { id });
    await client.dispose();
    expect(events.filter((e) => e.errors)).toEqual([]);
    expect(events.map((e) => (e.data as { lipSyncTaskUpdated: { status: string } }).lipSyncTaskUpdated.status)).toEqual(
      ['SUBMITTED', 'PROCESSING', 'SUCCEEDED'],
    );
  });

  it('makes one upstream task for one idempotency key sent to both instances at once', async () => {
    const before = fake.count('create');
    const input = { ...TEXT_INPUT, idempotencyKey: `both-${randomBytes(4).toString('hex')}` };
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).client.request(CREATE_MUTATION, { input })),
    );
    // Every answer is a success: ten errors with one upstream create would otherwise look like one task.
    expect(answers.map((r) => ({ status: r.status, errors: r.body.errors }))).toEqual(
      Array(10).fill({ status: 200, errors: undefined }),
    );
    const ids = new Set(answers.map((r) => r.body.data?.createLipSync.id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toEqual(expect.any(String));
    expect(fake.count('create') - before).toBe(1);
  });
});
