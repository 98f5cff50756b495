import { CREATE_MUTATION, TEXT_INPUT, type TestServer } from '../support/testServer';
import { startTwoInstances, type TwoInstances } from '../support/twoInstances';

/** Enough tasks per instance for the watchers to poll through Kling's list (src/services/TaskListSweep.ts). */
const TASKS = 24;
const FOLLOW = 'subscription($id: ID!) { lipSyncTaskUpdated(id: $id) { id status } }';

/**
 * Two instances on one PostgreSQL and one Redis, each following many tasks through the list: a sweep applies
 * entries only for the tasks whose poll lease its instance holds, so every change still reaches the subscribers
 * of both instances, in order.
 */
describe('list sweeps with poll leases on two instances', () => {
  let both: TwoInstances;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    both = await startTwoInstances(
      { processingAfterMs: 1_500, succeedAfterMs: 3_000 },
      { POLL_MIN_MS: '400', POLL_MAX_MS: '800' },
    );
    ({ a, b } = both);
  });
  afterAll(() => both?.close());

  it('brings every change of tasks created on either instance to subscribers on both', async () => {
    const ids = await Promise.all(
      Array.from({ length: TASKS }, async (_, i) => {
        const res = await (i % 2 ? a : b).client.request(CREATE_MUTATION, {
          input: { ...TEXT_INPUT, text: `Hello number ${i}` },
        });
        expect(res.body.errors).toBeUndefined();
        return res.body.data!.createLipSync.id as string;
      }),
    );
    const clients = [a.client.ws(), b.client.ws()];
    try {
      const streams = await Promise.all(
        ids.flatMap((id) => [a, b].map((server, s) => server.client.subscribeAll(clients[s], FOLLOW, { id }))),
      );
      for (const events of streams) {
        expect(events.filter((e) => e.errors)).toEqual([]);
        const statuses = events.map(
          (e) => (e.data as { lipSyncTaskUpdated: { status: string } }).lipSyncTaskUpdated.status,
        );
        expect(statuses).toEqual(['SUBMITTED', 'PROCESSING', 'SUCCEEDED']);
      }
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
    expect(both.fake.count('list')).toBeGreaterThan(0);
  });
});
