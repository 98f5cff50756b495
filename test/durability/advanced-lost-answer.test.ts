import { ADVANCED_MUTATION, IDENTIFY_MUTATION, VIDEO_URL, faceAudio } from '../support/advancedOperations';
import { startTestServer, type TestServer } from '../support/testServer';
import { waitFor } from '../support/waitFor';

/**
 * An advanced create whose answer is lost (a timeout after Kling booked it) is settled from the advanced list by
 * external_task_id; keyed retries never make a second paid task (docs/api.md, "Idempotency" and "Durability").
 */
describe('advanced lip-sync: a lost create answer and keyed retries', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      fake: { processingAfterMs: 600_000, succeedAfterMs: 1_200_000 },
      env: { KLING_TIMEOUT_MS: '1000', SUBMIT_GRACE_MS: '3000', RECONCILE_INTERVAL_MS: '300' },
    });
  });
  afterAll(() => t.close());

  it('the retry gets the task Kling made, with one upstream create', async () => {
    const identified = await t.client.request(IDENTIFY_MUTATION, { input: { videoUrl: VIDEO_URL } });
    const { sessionId } = identified.body.data!.identifyFaces as { sessionId: string };
    const input = { sessionId, faces: [faceAudio()], idempotencyKey: 'advanced-lost-answer' };
    t.fake.inject({ acceptThenHang: true }, { endpoint: 'advanced_create' });

    const first = await t.client.request(ADVANCED_MUTATION, { input });
    expect(first.body.errors?.[0].extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', retryable: true });
    const [booked] = t.fake.advanced.tasks.allTasks();
    const recordId = booked.task_info.external_task_id!;

    const settled = await waitFor(
      'the retry to answer the booked task',
      async () => {
        const retry = await t.client.request(ADVANCED_MUTATION, { input });
        return retry.body.data?.createAdvancedLipSync;
      },
      15_000,
      200,
    );
    expect(settled).toMatchObject({ id: recordId, klingTaskId: booked.task_id, kind: 'ADVANCED', status: 'SUBMITTED' });
    expect(t.fake.count('advanced_create')).toBe(1);
    expect(t.fake.count('advanced_list')).toBeGreaterThan(0);
    expect(t.fake.advanced.tasks.size).toBe(1);
  });
});
