import type { TaskStore } from '../../src/store/TaskStore';
import { UpstreamIdConflictError } from '../../src/store/storeErrors';
import type { ClaimedDelivery } from '../../src/store/WebhookOutbox';
import { SUBMIT_ERROR, SUCCEEDED_VIDEOS, taskIntent, taskSnapshot, uniqueId } from '../support/storeFixtures';
import type { StoreHarness } from './taskStoreContract';

const LEASE = 60_000;

/**
 * The webhook outbox every TaskStore carries (migration 006): one event per (task, public status), written by the
 * state change itself, none by a write that fails; claims that one task's events go out in order and that two
 * instances never hold the same delivery.
 */
export function describeWebhookOutboxContract(harness: StoreHarness): void {
  const opened: TaskStore[] = [];
  let store: TaskStore;

  beforeEach(async () => {
    store = await harness.open();
    opened.push(store);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  /** A queued task with a callbackUrl, in a tenant of its own (other tests' rows never mix in). */
  async function hookedTask(options: { callbackUrl?: string | null } = {}) {
    const intent = taskIntent({
      tenant: uniqueId('tenant'),
      queued: true,
      request: '{}',
      callbackUrl: options.callbackUrl === undefined ? 'https://client.example/hooks' : options.callbackUrl,
    });
    const { record } = await store.insertIntent(intent, 1_000);
    return record;
  }

  const statuses = async (taskId: string, tenant: string) =>
    (await store.webhooks.listForTasks([taskId], tenant)).map((d) => `${d.status}:${d.state}`);

  /** claims everything due, keeping only this task's (other tests' leftovers are released by their lease) */
  async function claimOf(s: TaskStore, taskId: string, now: number): Promise<ClaimedDelivery[]> {
    return (await s.webhooks.claimDue(1_000, now + LEASE, now)).filter((c) => c.taskId === taskId);
  }

  describe('webhook outbox', () => {
    it('a create written already claimed (insertIntentClaimed) still records QUEUED, then SUBMITTED', async () => {
      const intent = taskIntent({
        tenant: uniqueId('tenant'),
        queued: true,
        request: '{}',
        callbackUrl: 'https://client.example/hooks',
      });
      await store.claimQueued(null, 10_000, 50_000, 500); // other tests' queued rows would go first
      const { record, claimed } = await store.insertIntentClaimed(intent, null, 1_000);
      expect({ claimed, state: record.state }).toEqual({ claimed: true, state: 'submitting' });
      const [queued] = await store.webhooks.listForTasks([record.id], record.tenant);
      expect(queued).toMatchObject({ status: 'QUEUED', occurredAt: 1_000 });
      await store.markAccepted(record.id, taskSnapshot(uniqueId('up')), 'req', 2_000);
      expect(await statuses(record.id, record.tenant)).toEqual(['QUEUED:pending', 'SUBMITTED:pending']);
    });

    it('writes one event per status change of a task with a callbackUrl, none without one', async () => {
      const plain = await hookedTask({ callbackUrl: null });
      expect(await store.webhooks.listForTasks([plain.id], plain.tenant)).toEqual([]);

      const task = await hookedTask();
      expect(await statuses(task.id, task.tenant)).toEqual(['QUEUED:pending']);
      await store.claimQueued(null, 1_000, 50_000, 1_500);
      const upstreamId = uniqueId('up');
      await store.markAccepted(task.id, taskSnapshot(upstreamId), 'req', 2_000);
      await store.applySnapshot(taskSnapshot(upstreamId, { state: 'processing', updatedAt: 3_000 }), null, 3_000);
      // The same answer again, and a poll that changes nothing: no second PROCESSING.
      await store.applySnapshot(taskSnapshot(upstreamId, { state: 'processing', updatedAt: 3_000 }), null, 3_500);
      await store.applySnapshot(taskSnapshot(upstreamId, { state: 'processing', updatedAt: 3_600 }), null, 3_600);
      await store.applySnapshot(
        taskSnapshot(upstreamId, { state: 'succeeded', updatedAt: 4_000, videos: SUCCEEDED_VIDEOS }),
        null,
        4_000,
      );
      const events = await store.webhooks.listForTasks([task.id], task.tenant);
      expect(events.map((d) => [d.id, d.status, d.state, d.attempts])).toEqual(
        ['QUEUED', 'SUBMITTED', 'PROCESSING', 'SUCCEEDED'].map((s) => [`whd_${task.id}_${s}`, s, 'pending', 0]),
      );
      expect(events.map((d) => d.occurredAt)).toEqual([1_000, 2_000, 3_000, 4_000]);
      // Another tenant sees none of them.
      expect(await store.webhooks.listForTasks([task.id], 'someone-else')).toEqual([]);
      expect(await store.webhooks.get(events[0].id, 'someone-else')).toBeNull();
    });

    it('writes CANCELED, FAILED (expired or refused) with the change, and nothing for a write that fails', async () => {
      const canceled = await hookedTask();
      await store.cancelQueued(canceled.id, canceled.tenant, 2_000);
      expect(await statuses(canceled.id, canceled.tenant)).toEqual(['QUEUED:pending', 'CANCELED:pending']);

      const expired = await hookedTask();
      await store.expireQueued(1_001, 'queued too long', 9_000);
      expect(await statuses(expired.id, expired.tenant)).toEqual(['QUEUED:pending', 'FAILED:pending']);

      const refused = await hookedTask();
      await store.claimQueued(null, 1_000, 50_000, 1_500);
      await store.failSubmission(refused.id, SUBMIT_ERROR, 2_000);
      expect(await statuses(refused.id, refused.tenant)).toEqual(['QUEUED:pending', 'FAILED:pending']);

      const taken = await hookedTask();
      const clash = await hookedTask();
      await store.claimQueued(null, 1_000, 50_000, 1_500);
      const upstreamId = uniqueId('up');
      await store.markAccepted(taken.id, taskSnapshot(upstreamId), 'req', 2_000);
      await expect(store.markAccepted(clash.id, taskSnapshot(upstreamId), 'req', 2_000)).rejects.toThrow(
        UpstreamIdConflictError,
      );
      expect(await statuses(clash.id, clash.tenant)).toEqual(['QUEUED:pending']);
    });

    it("claims one task's events in order, each by one instance at a time", async () => {
      const task = await hookedTask();
      await store.cancelQueued(task.id, task.tenant, 2_000);
      const other = await harness.reopen();
      opened.push(other);
      // Two instances claim at once: QUEUED goes to exactly one; CANCELED waits for it.
      const [mine, theirs] = await Promise.all([claimOf(store, task.id, 3_000), claimOf(other, task.id, 3_000)]);
      const claimed = [...mine, ...theirs];
      expect(claimed.map((c) => c.status)).toEqual(['QUEUED']);
      expect(claimed[0]).toMatchObject({ attempts: 1, lastAttemptAt: 3_000, url: 'https://client.example/hooks' });
      expect(JSON.parse(claimed[0].data)).toMatchObject({ id: task.id, status: 'QUEUED' });
      expect(await claimOf(other, task.id, 3_100)).toEqual([]);

      // A retry is due again only at its time; then delivered, and CANCELED may go.
      await store.webhooks.recordAttempt(
        claimed[0],
        { kind: 'retry', responseStatus: 500, nextAttemptAt: 5_000 },
        3_200,
      );
      expect(await claimOf(store, task.id, 4_000)).toEqual([]);
      const retried = await claimOf(other, task.id, 5_000);
      expect(retried.map((c) => [c.status, c.attempts])).toEqual([['QUEUED', 2]]);
      await other.webhooks.recordAttempt(retried[0], { kind: 'delivered', responseStatus: 200 }, 5_100);
      // A late outcome of a lost claim changes nothing.
      await store.webhooks.recordAttempt(claimed[0], { kind: 'failed', responseStatus: null }, 5_200);
      expect((await claimOf(store, task.id, 5_300)).map((c) => c.status)).toEqual(['CANCELED']);
      expect(await statuses(task.id, task.tenant)).toEqual(['QUEUED:delivered', 'CANCELED:pending']);
    });

    it('after 410 Gone fails what is pending and writes no further event; redeliver requeues a FAILED one', async () => {
      const task = await hookedTask();
      await store.claimQueued(null, 1_000, 50_000, 1_500);
      const upstreamId = uniqueId('up');
      await store.markAccepted(task.id, taskSnapshot(upstreamId), 'req', 2_000);
      const [queued] = await claimOf(store, task.id, 2_500);
      await store.webhooks.recordAttempt(queued, { kind: 'gone', responseStatus: 410 }, 2_600);
      await store.applySnapshot(taskSnapshot(upstreamId, { state: 'processing', updatedAt: 3_000 }), null, 3_000);
      expect(await statuses(task.id, task.tenant)).toEqual(['QUEUED:failed', 'SUBMITTED:failed']);

      expect(await store.webhooks.redeliver(queued.id, 'someone-else', 4_000)).toBeNull();
      const again = await store.webhooks.redeliver(queued.id, task.tenant, 4_000);
      expect(again).toMatchObject({ state: 'pending', nextAttemptAt: 4_000, pendingSince: 4_000, attempts: 1 });
      expect(await store.webhooks.redeliver(queued.id, task.tenant, 4_000)).toBeNull(); // pending now, not FAILED
    });

    it('counts signing key generations up, one per rotation, even concurrent ones', async () => {
      const tenant = uniqueId('tenant');
      expect(await store.webhooks.signingKey(tenant)).toEqual({ generation: 0, rotatedAt: 0 });
      const other = await harness.reopen();
      opened.push(other);
      const rotations = await Promise.all([
        store.webhooks.rotateSigningKey(tenant, 5_000),
        other.webhooks.rotateSigningKey(tenant, 5_000),
      ]);
      expect(rotations.map((r) => r.generation).sort()).toEqual([1, 2]);
      expect(await store.webhooks.signingKey(tenant)).toEqual({ generation: 2, rotatedAt: 5_000 });
    });
  });
}
