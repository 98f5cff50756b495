import { waitFor } from '../support/childServer';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

/**
 * The periodic reconciler on its own: start-up recovery has already run (the server is up and idle) when a
 * create is orphaned — Kling books the task, its answer never comes, the create times out and the row stays
 * `submitting`. No restart, no retry, no read of the task: only the reconciler's next round (every
 * RECONCILE_INTERVAL_MS) can find it in Kling's list and settle the row.
 */
describe('periodic reconciler (RECONCILE_INTERVAL_MS)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      env: { KLING_TIMEOUT_MS: '400', RECONCILE_INTERVAL_MS: '300' },
      fake: { processingAfterMs: 600_000, succeedAfterMs: 1_200_000 },
    });
  });
  afterAll(() => t.close());

  it('settles a row orphaned after start-up from the upstream list, without creating again', async () => {
    t.fake.inject({ acceptThenHang: true }, { endpoint: 'create' });
    const res = await t.client.request(CREATE_MUTATION, { input: { ...TEXT_INPUT, text: 'orphaned after start' } });
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', retryable: true });

    const sent = t.fake.requests.filter((r) => r.endpoint === 'create');
    expect(sent).toHaveLength(1);
    const recordId = (sent[0].body as { external_task_id: string }).external_task_id;
    const [accepted] = t.fake.tasks.allTasks();
    expect(accepted.task_info?.external_task_id).toBe(recordId); // Kling did take it; only its answer was lost

    // Deadline: many rounds of 300 ms each on a loaded machine.
    const settled = await waitFor(
      'the reconciler to settle the orphaned row',
      async () => {
        const row = await t.server.store.getById(recordId);
        return row !== null && row.state !== 'submitting' && row;
      },
      15_000,
      100,
    );
    expect({ state: settled.state, upstreamId: settled.upstreamId }).toEqual({
      state: 'submitted',
      upstreamId: accepted.task_id,
    });
    expect(t.fake.count('create')).toBe(1);
    expect(t.fake.count('list')).toBeGreaterThan(0);

    // And a client now finds it by the upstream's id (and by ours).
    const query = 'query($id: ID!) { lipSyncTask(id: $id) { id klingTaskId status } }';
    const expected = { id: recordId, klingTaskId: accepted.task_id, status: 'SUBMITTED' };
    expect((await t.client.request(query, { id: accepted.task_id })).body.data!.lipSyncTask).toEqual(expected);
    expect((await t.client.request(query, { id: recordId })).body.data!.lipSyncTask).toEqual(expected);
  });
});
