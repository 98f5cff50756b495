import type { TaskStore } from '../../src/store/TaskStore';
import { taskIntent, taskSnapshot, uniqueId } from '../support/storeFixtures';

/** The archive's rows (src/store/archive/ArchiveStore.ts), as both stores must keep them. */
export function describeArchiveStoreContract(open: () => Promise<TaskStore>): void {
  let store: TaskStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await store.close();
  });

  /** A task that SUCCEEDED with `videos` result videos, created at `createdAt`. */
  async function succeededTask(tenant = 'acme', videos = 1, createdAt = 2_000) {
    const { record } = await store.insertIntent(taskIntent({ tenant }), 1_000);
    const upstreamId = uniqueId('up');
    await store.markAccepted(record.id, taskSnapshot(upstreamId, { createdAt, updatedAt: createdAt }), null, 3_000);
    const results = Array.from({ length: videos }, () => ({
      id: uniqueId('video'),
      url: 'https://cdn.example/out.mp4',
      durationSeconds: 5,
    }));
    await store.applySnapshot(
      taskSnapshot(upstreamId, { state: 'succeeded', videos: results, createdAt, updatedAt: createdAt + 1 }),
      null,
      4_000,
    );
    return { id: record.id, videos: results };
  }

  async function enqueued(tenant = 'acme', videos = 1, createdAt = 2_000) {
    const task = await succeededTask(tenant, videos, createdAt);
    const candidate = (await store.archives.candidates(1_000, 0)).find((c) => c.taskId === task.id)!;
    await store.archives.enqueue(candidate, 'fs', 1_000_000, 5_000);
    return task;
  }

  it('hands each recent succeeded task over once, one pending row per video; enqueueing again changes nothing', async () => {
    const task = await succeededTask('acme', 2);
    expect((await store.archives.candidates(1_000, 10_000)).some((c) => c.taskId === task.id)).toBe(false);
    const candidate = (await store.archives.candidates(1_000, 0)).find((c) => c.taskId === task.id);
    expect(candidate).toEqual({
      taskId: task.id,
      tenant: 'acme',
      createdAt: expect.any(Number),
      videos: task.videos.map(({ id, url }) => ({ id, url })),
    });
    await store.archives.enqueue(candidate!, 'fs', 1_000_000, 5_000);
    expect((await store.archives.candidates(1_000, 0)).some((c) => c.taskId === task.id)).toBe(false);
    await store.archives.enqueue(candidate!, 's3', 9, 9);
    const rows = await store.archives.byTasks('acme', [task.id]);
    expect(rows).toHaveLength(2);
    expect(rows.every((row) => row.state === 'pending' && row.storage === 'fs' && row.attempts === 0)).toBe(true);
  });

  it('claims a due row once while its lease lives, again after it ran out, and never for two claimers', async () => {
    const task = await enqueued();
    const [first, second] = await Promise.all([
      store.archives.claimDue(10, 70_000, 10_000),
      store.archives.claimDue(10, 70_000, 10_000),
    ]);
    const mine = [...first, ...second].filter((row) => row.taskId === task.id);
    expect(mine).toHaveLength(1);
    expect(mine[0].attempts).toBe(1);
    expect((await store.archives.claimDue(10, 80_000, 20_000)).some((r) => r.taskId === task.id)).toBe(false);
    expect(await store.archives.renewLease(task.id, task.videos[0].id, 90_000)).toBe(true);
    expect((await store.archives.claimDue(10, 80_000, 85_000)).some((r) => r.taskId === task.id)).toBe(false);
    const again = (await store.archives.claimDue(10, 200_000, 95_000)).find((r) => r.taskId === task.id);
    expect(again?.attempts).toBe(2);
    await store.archives.releaseAllLeases();
    expect((await store.archives.claimDue(10, 300_000, 96_000)).some((r) => r.taskId === task.id)).toBe(true);
  });

  it('waits for a retry, then records the copy; the tenant sees it by task and by video, no other tenant does', async () => {
    const task = await enqueued();
    const video = task.videos[0].id;
    await store.archives.claimDue(10, 70_000, 10_000);
    await store.archives.scheduleRetry(task.id, video, 'HTTP 503', 50_000);
    expect((await store.archives.claimDue(10, 70_000, 40_000)).some((r) => r.taskId === task.id)).toBe(false);
    expect((await store.archives.claimDue(10, 110_000, 50_000)).some((r) => r.taskId === task.id)).toBe(true);
    await store.archives.markArchived(
      task.id,
      video,
      { bytes: 1234, sha256: 'ab'.repeat(32), storageKey: 'k' },
      60_000,
    );
    const row = await store.archives.get(task.id, video);
    expect(row).toMatchObject({ state: 'archived', bytes: 1234, sha256: 'ab'.repeat(32), storageKey: 'k' });
    expect(row).toMatchObject({ archivedAt: 60_000, leaseUntil: 0, lastError: null, tenant: 'acme' });
    expect(await store.archives.byVideos('acme', [video])).toHaveLength(1);
    expect(await store.archives.byVideos('globex', [video])).toEqual([]);
    expect(await store.archives.byTasks('globex', [task.id])).toEqual([]);
  });

  it('fails a row for good, and sums the bytes held per tenant over the tasks created in a range', async () => {
    const tenant = uniqueId('tenant');
    const early = await enqueued(tenant, 1, 10_000);
    const late = await enqueued(tenant, 1, 20_000);
    const failed = await enqueued(tenant, 1, 15_000);
    const other = await enqueued('globex', 1, 15_000);
    for (const [task, bytes] of [
      [early, 100],
      [late, 1_000],
      [other, 5],
    ] as const) {
      await store.archives.markArchived(task.id, task.videos[0].id, { bytes, sha256: 'x', storageKey: 'k' }, 30_000);
    }
    await store.archives.markFailed(failed.id, failed.videos[0].id, 'gone');
    expect(await store.archives.get(failed.id, failed.videos[0].id)).toMatchObject({ state: 'failed' });
    expect(await store.archives.archivedBytes(tenant, 0, 100_000)).toBe(1_100);
    expect(await store.archives.archivedBytes(tenant, 10_000, 20_000)).toBe(100);
    expect(await store.archives.archivedBytes(uniqueId('nobody'), 0, 100_000)).toBe(0);
  });

  it('lists copies past retention oldest first, and a deleted copy is no longer counted', async () => {
    const tenant = uniqueId('tenant');
    const old = await enqueued(tenant);
    const recent = await enqueued(tenant);
    await store.archives.markArchived(old.id, old.videos[0].id, { bytes: 7, sha256: 'x', storageKey: 'a' }, 1_000);
    await store.archives.markArchived(
      recent.id,
      recent.videos[0].id,
      { bytes: 9, sha256: 'y', storageKey: 'b' },
      9_000,
    );
    const due = (await store.archives.archivedBefore(5_000, 100)).filter((row) => row.tenant === tenant);
    expect(due.map((row) => row.taskId)).toEqual([old.id]);
    await store.archives.markDeleted(old.id, old.videos[0].id, 6_000);
    expect(await store.archives.get(old.id, old.videos[0].id)).toMatchObject({ state: 'deleted' });
    expect(await store.archives.archivedBytes(tenant, 0, 100_000)).toBe(9);
  });
}
