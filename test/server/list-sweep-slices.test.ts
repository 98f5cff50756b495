import { LISTED_PER_SLICE } from '../../src/services/TaskWatcher';
import type { TaskStore } from '../../src/store/TaskStore';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';
import { waitFor } from '../support/waitFor';

/** More followed tasks than two slices, all changing before the first sweep meets them. */
const TASKS = 3 * LISTED_PER_SLICE;

/**
 * A sweep that finds many followed tasks changed at once writes them a slice at a time (src/services/TaskWatcher.ts,
 * LISTED_PER_SLICE), so requests are answered between slices rather than after one event-loop turn that
 * writes them all. Every task is turned `processing` by the fake before its first poll (POLL_MIN_MS 2 s), so one
 * sweep meets them all changed.
 */
describe('a list sweep that meets many changed tasks', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      fake: { processingAfterMs: 50, succeedAfterMs: 120_000 },
      env: { POLL_MIN_MS: '2000', POLL_MAX_MS: '4000' },
    });
  });
  afterAll(() => t.close());

  it('writes them at most a slice at a time, and every change still lands', async () => {
    const store: TaskStore = t.server.store;
    const applySnapshot = store.applySnapshot.bind(store);
    let open = 0;
    let mostOpen = 0;
    let changed = 0;
    store.applySnapshot = async (...args) => {
      open += 1;
      mostOpen = Math.max(mostOpen, open);
      try {
        const result = await applySnapshot(...args);
        if (result?.changed) changed += 1;
        return result;
      } finally {
        open -= 1;
      }
    };

    const ids = await Promise.all(
      Array.from({ length: TASKS }, async (_, i) => {
        const res = await t.client.request(CREATE_MUTATION, { input: { ...TEXT_INPUT, text: `Slice ${i}` } });
        expect(res.body.errors).toBeUndefined();
        return res.body.data!.createLipSync.id as string;
      }),
    );
    await waitFor(`all ${TASKS} tasks written PROCESSING`, () => changed >= TASKS, 30_000);

    const lists = t.fake.requests.filter((r) => r.endpoint === 'list').length;
    // The changes came through a few list pages (not one GET each), so sweeps met far more than a slice at once...
    expect(lists).toBeLessThanOrEqual(TASKS / LISTED_PER_SLICE);
    // ...and no more than a slice of them was being written at any moment.
    expect(mostOpen).toBeLessThanOrEqual(LISTED_PER_SLICE);
    const res = await t.client.request(`query($id: ID!) { lipSyncTask(id: $id) { status } }`, { id: ids.at(-1) });
    expect(res.body.data!.lipSyncTask.status).toBe('PROCESSING');
  });
});
