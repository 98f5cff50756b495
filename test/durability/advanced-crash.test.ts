import path from 'node:path';
import { ADVANCED_MUTATION, IDENTIFY_MUTATION, VIDEO_URL, faceAudio } from '../support/advancedOperations';
import { childEnv, freePort, waitFor } from '../support/childServer';
import { useCrashLab } from '../support/crashLab';
import { GraphQLTestClient } from '../support/graphqlClient';
import { readTaskRows } from '../support/storeFile';

/**
 * kill -9 while an advanced create is at Kling: Kling made (and bills) the task, the answer never came back. The
 * restarted server finds it in the advanced family's list by external_task_id (docs/api.md, "Durability") and follows
 * it to the end; nothing is created twice, and a keyed retry gets the same task.
 */
describe('advanced lip-sync: kill -9 mid-create, reconciled through the advanced list', () => {
  const lab = useCrashLab('lipsync-advanced-crash-', { processingAfterMs: 300, succeedAfterMs: 900 });

  it('the task Kling accepted is found after the restart, never created twice', async () => {
    const databaseFile = path.join(lab.dir, 'lipsync.db');
    const port = await freePort();
    const env = childEnv(lab.fake, databaseFile, { KLING_TIMEOUT_MS: '30000', RECONCILE_INTERVAL_MS: '300' });
    const first = await lab.start({ env, port, cwd: lab.dir });
    const client = new GraphQLTestClient(first.url, first.wsUrl);
    const identified = await client.request(IDENTIFY_MUTATION, { input: { videoUrl: VIDEO_URL } });
    const { sessionId } = identified.body.data!.identifyFaces as { sessionId: string };
    const input = { sessionId, faces: [faceAudio()], idempotencyKey: 'advanced-crash-key' };

    // Kling books the task and never answers; the server is killed while it waits.
    lab.fake.inject({ acceptThenHang: true }, { endpoint: 'advanced_create' });
    const lost = client.request(ADVANCED_MUTATION, { input }).catch((error: unknown) => error);
    await waitFor('Kling to book the task', () => lab.fake.advanced.tasks.size === 1, 10_000);
    expect(await first.crash()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(String(await lost)).toMatch(/fetch failed/); // the client never got an answer
    const [booked] = lab.fake.advanced.tasks.allTasks();
    const recordId = booked.task_info.external_task_id!;
    expect(readTaskRows(databaseFile)).toEqual([
      expect.objectContaining({ id: recordId, state: 'submitting', upstream_id: null }),
    ]);

    const second = await lab.start({ env, port, cwd: lab.dir });
    const rows = await waitFor(
      'the row to be found in the advanced list and followed to the end',
      () => {
        const found = readTaskRows(databaseFile);
        return found[0]?.state === 'succeeded' && found;
      },
      20_000,
      100,
    );
    expect(rows).toEqual([expect.objectContaining({ id: recordId, upstream_id: booked.task_id })]);
    expect(lab.fake.count('advanced_list')).toBeGreaterThan(0);
    expect(lab.fake.count('list')).toBe(0); // searched in its own family's list only

    const retry = await new GraphQLTestClient(second.url, second.wsUrl).request(ADVANCED_MUTATION, { input });
    expect(retry.body.data!.createAdvancedLipSync).toMatchObject({
      id: recordId,
      klingTaskId: booked.task_id,
      kind: 'ADVANCED',
      status: 'SUCCEEDED',
    });
    expect(lab.fake.count('advanced_create')).toBe(1);
    expect(lab.fake.advanced.tasks.size).toBe(1);
  });
});
