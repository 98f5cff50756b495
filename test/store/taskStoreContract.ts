import fc from 'fast-check';
import { STATE_RANK, isTerminal, type AcceptedState, type TaskRecord } from '../../src/domain/task';
import { TaskNotFoundError, UpstreamIdConflictError } from '../../src/store/storeErrors';
import type { TaskStore } from '../../src/store/TaskStore';
import {
  SUBMIT_ERROR,
  SUCCEEDED_VIDEOS,
  acceptedTask,
  taskIntent,
  taskSnapshot,
  uniqueId,
} from '../support/storeFixtures';

export interface StoreHarness {
  /** a migrated store over an empty database */
  open(): Promise<TaskStore>;
  /** another instance (own connections) over the same database as the last `open()` */
  reopen(): Promise<TaskStore>;
}

const ACCEPTED_STATES: AcceptedState[] = ['submitted', 'processing', 'succeeded', 'failed'];

/** Newest first, as the GraphQL connection pages: (createdAt desc, id desc). */
function byListOrder(a: TaskRecord, b: TaskRecord): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

async function pageThrough(store: TaskStore, tenant: string, pageSize: number): Promise<TaskRecord[][]> {
  const pages: TaskRecord[][] = [];
  let after: { createdAt: number; id: string } | undefined;
  for (;;) {
    const page = await store.list({ tenant, limit: pageSize, after });
    if (page.length === 0) return pages;
    pages.push(page);
    const last = page[page.length - 1];
    after = { createdAt: last.createdAt, id: last.id };
  }
}

/** The behaviour every TaskStore promises, run against each implementation with real databases. */
export function describeTaskStoreContract(harness: StoreHarness): void {
  const opened: TaskStore[] = [];
  let store: TaskStore;

  async function anotherInstance(): Promise<TaskStore> {
    const other = await harness.reopen();
    opened.push(other);
    return other;
  }

  beforeEach(async () => {
    store = await harness.open();
    opened.push(store);
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  describe('migrate', () => {
    it('is idempotent, on the same instance and on another one over the same data', async () => {
      const { record } = await store.insertIntent(taskIntent(), 1_000);
      await store.migrate();
      const other = await anotherInstance();
      await other.migrate();
      expect(await other.getById(record.id)).toEqual(record);
    });
  });

  describe('insertIntent', () => {
    it('writes a submitting row with local times and the lease', async () => {
      const intent = taskIntent({
        recordedAt: 5_000,
        leaseUntil: 35_000,
        idempotencyKey: 'k',
        idempotencyExpiresAt: 9_000,
      });
      const result = await store.insertIntent(intent, 5_000);
      const expected: TaskRecord = {
        id: intent.id,
        tenant: 'default',
        state: 'submitting',
        upstreamId: null,
        mode: 'TEXT_TO_VIDEO',
        kind: 'STANDARD',
        face: null,
        statusMessage: null,
        parentVideo: null,
        videos: [],
        idempotencyKey: 'k',
        requestHash: 'hash-a',
        idempotencyExpiresAt: 9_000,
        upstreamRequestId: null,
        submitError: null,
        createdAt: 5_000,
        updatedAt: 5_000,
        recordedAt: 5_000,
        checkedAt: 0,
        leaseUntil: 35_000,
        queuedAt: null,
        unitsChargedMicro: null,
      };
      expect(result).toEqual({ created: true, record: expected });
      expect(await store.getById(intent.id)).toEqual(expected);
    });

    it('always inserts intents without a key', async () => {
      const first = await store.insertIntent(taskIntent(), 1_000);
      const second = await store.insertIntent(taskIntent(), 1_000);
      expect([first.created, second.created]).toEqual([true, true]);
      expect(await store.countByState()).toEqual({ submitting: 2 });
    });

    it('returns the live row holding (tenant, key) instead of writing', async () => {
      const first = await store.insertIntent(taskIntent({ idempotencyKey: 'k', idempotencyExpiresAt: 10_000 }), 1_000);
      const retry = taskIntent({ idempotencyKey: 'k', idempotencyExpiresAt: 20_000, requestHash: 'hash-b' });
      // expiry is strict: a key is still live at its expiry instant
      expect(await store.insertIntent(retry, 10_000)).toEqual({ created: false, record: first.record });
      expect(await store.getById(retry.id)).toBeNull();
    });

    it('scopes keys by tenant', async () => {
      const a = await store.insertIntent(
        taskIntent({ tenant: 'a', idempotencyKey: 'k', idempotencyExpiresAt: 10_000 }),
        1_000,
      );
      const b = await store.insertIntent(
        taskIntent({ tenant: 'b', idempotencyKey: 'k', idempotencyExpiresAt: 10_000 }),
        1_000,
      );
      expect([a.created, b.created]).toEqual([true, true]);
    });

    it('releases an expired key from its old row and writes the new intent', async () => {
      const old = await store.insertIntent(taskIntent({ idempotencyKey: 'k', idempotencyExpiresAt: 10_000 }), 1_000);
      const fresh = taskIntent({ idempotencyKey: 'k', idempotencyExpiresAt: 30_000, recordedAt: 10_001 });
      expect(await store.insertIntent(fresh, 10_001)).toMatchObject({ created: true, record: { id: fresh.id } });
      expect(await store.getById(old.record.id)).toEqual({ ...old.record, idempotencyKey: null });
      const again = await store.insertIntent(taskIntent({ idempotencyKey: 'k' }), 10_002);
      expect(again).toMatchObject({ created: false, record: { id: fresh.id } });
    });

    it('gives exactly one of 50 concurrent callers with one key created: true, on two instances', async () => {
      const other = await anotherInstance();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 === 0 ? store : other).insertIntent(
            taskIntent({ idempotencyKey: 'race', idempotencyExpiresAt: 99_000 }),
            1_000,
          ),
        ),
      );
      const winners = results.filter((r) => r.created);
      expect(winners).toHaveLength(1);
      const winnerId = winners[0].record.id;
      expect(results.filter((r) => !r.created).map((r) => r.record.id)).toEqual(Array(49).fill(winnerId));
      expect(await store.countByState()).toEqual({ submitting: 1 });
    });

    it('gives exactly one created: true when 50 callers race to replace an expired key', async () => {
      const old = await store.insertIntent(taskIntent({ idempotencyKey: 'race', idempotencyExpiresAt: 2_000 }), 1_000);
      const other = await anotherInstance();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 === 0 ? store : other).insertIntent(
            taskIntent({ idempotencyKey: 'race', idempotencyExpiresAt: 99_000 }),
            5_000,
          ),
        ),
      );
      const winners = results.filter((r) => r.created);
      expect(winners).toHaveLength(1);
      expect(new Set(results.map((r) => r.record.id))).toEqual(new Set([winners[0].record.id]));
      expect((await store.getById(old.record.id))?.idempotencyKey).toBeNull();
    });
  });

  describe('markAccepted', () => {
    it("records the upstream's id, state and times and clears the lease's meaning", async () => {
      const { record } = await store.insertIntent(taskIntent(), 1_000);
      const snapshot = taskSnapshot('up-1', {
        state: 'processing',
        statusMessage: 'rendering',
        createdAt: 1_500,
        updatedAt: 1_600,
      });
      const accepted = await store.markAccepted(record.id, snapshot, 'req-1', 2_000);
      const expected: TaskRecord = {
        ...record,
        upstreamId: 'up-1',
        state: 'processing',
        statusMessage: 'rendering',
        parentVideo: snapshot.parentVideo,
        createdAt: 1_500,
        updatedAt: 1_600,
        upstreamRequestId: 'req-1',
        checkedAt: 2_000,
      };
      expect(accepted).toEqual(expected);
      expect(await store.getByUpstreamId('up-1')).toEqual(expected);
    });

    it('wins over submit_failed: a late acceptance is never lost', async () => {
      const { record } = await store.insertIntent(taskIntent(), 1_000);
      await store.markSubmitFailed(record.id, SUBMIT_ERROR, 1_500);
      const accepted = await store.markAccepted(record.id, taskSnapshot('up-late'), 'req-2', 2_000);
      expect(accepted).toMatchObject({ state: 'submitted', upstreamId: 'up-late', submitError: null });
      expect(await store.getById(record.id)).toEqual(accepted);
    });

    it('does not move backwards when the same acceptance arrives again', async () => {
      const { record } = await store.insertIntent(taskIntent(), 1_000);
      await store.markAccepted(
        record.id,
        taskSnapshot('up-1', { state: 'processing', updatedAt: 3_000 }),
        'req-1',
        3_000,
      );
      const again = await store.markAccepted(
        record.id,
        taskSnapshot('up-1', { state: 'submitted', updatedAt: 2_000 }),
        'req-2',
        4_000,
      );
      expect(again).toMatchObject({ state: 'processing', updatedAt: 3_000, checkedAt: 4_000 });
      expect(await store.getById(record.id)).toEqual(again);
    });

    it('refuses an upstream id that another task already holds', async () => {
      const first = await acceptedTask(store, { upstreamId: 'up-dup' });
      const { record } = await store.insertIntent(taskIntent(), 1_000);
      await expect(store.markAccepted(record.id, taskSnapshot('up-dup'), null, 2_000)).rejects.toBeInstanceOf(
        UpstreamIdConflictError,
      );
      expect(await store.getById(record.id)).toEqual(record);
      expect(await store.getByUpstreamId('up-dup')).toEqual(first);
    });

    it('throws for an unknown task', async () => {
      await expect(store.markAccepted('nope', taskSnapshot('up-x'), null, 2_000)).rejects.toBeInstanceOf(
        TaskNotFoundError,
      );
    });
  });

  describe('markSubmitFailed', () => {
    it('moves a submitting row to submit_failed with the error', async () => {
      const { record } = await store.insertIntent(taskIntent(), 1_000);
      const failed = await store.markSubmitFailed(record.id, SUBMIT_ERROR, 1_700);
      expect(failed).toEqual({ ...record, state: 'submit_failed', submitError: SUBMIT_ERROR, updatedAt: 1_700 });
      expect(await store.getById(record.id)).toEqual(failed);
    });

    it('leaves any other row as it is and returns it', async () => {
      const accepted = await acceptedTask(store);
      expect(await store.markSubmitFailed(accepted.id, SUBMIT_ERROR, 9_000)).toEqual(accepted);
    });

    it('returns null for an unknown task', async () => {
      expect(await store.markSubmitFailed('nope', SUBMIT_ERROR, 1_000)).toBeNull();
    });
  });

  describe('claimSubmission', () => {
    it('takes a submit_failed row back to submitting with a fresh lease, once', async () => {
      const { record } = await store.insertIntent(taskIntent(), 1_000);
      await store.markSubmitFailed(record.id, SUBMIT_ERROR, 1_500);
      expect(await store.claimSubmission(record.id, 'submit_failed', 60_000, 2_000)).toBe(true);
      expect(await store.getById(record.id)).toMatchObject({
        state: 'submitting',
        submitError: null,
        leaseUntil: 60_000,
      });
      expect(await store.claimSubmission(record.id, 'submit_failed', 70_000, 2_000)).toBe(false);
    });

    it('takes a submitting row only once its lease ran out', async () => {
      const { record } = await store.insertIntent(taskIntent({ leaseUntil: 31_000 }), 1_000);
      expect(await store.claimSubmission(record.id, 'submitting', 90_000, 31_000)).toBe(false);
      expect(await store.claimSubmission(record.id, 'submitting', 90_000, 31_001)).toBe(true);
      expect(await store.getById(record.id)).toMatchObject({ state: 'submitting', leaseUntil: 90_000 });
    });

    it('does not take a row in another state', async () => {
      const { record } = await store.insertIntent(taskIntent(), 1_000);
      expect(await store.claimSubmission(record.id, 'submit_failed', 60_000, 99_000)).toBe(false);
      const accepted = await acceptedTask(store);
      expect(await store.claimSubmission(accepted.id, 'submitting', 60_000, 99_000)).toBe(false);
      expect(await store.claimSubmission('nope', 'submitting', 60_000, 99_000)).toBe(false);
    });

    it.each(['submit_failed', 'submitting'] as const)(
      'lets one of 20 concurrent claimers from %s win',
      async (from) => {
        const { record } = await store.insertIntent(taskIntent({ leaseUntil: 31_000 }), 1_000);
        if (from === 'submit_failed') await store.markSubmitFailed(record.id, SUBMIT_ERROR, 1_500);
        const other = await anotherInstance();
        const wins = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 === 0 ? store : other).claimSubmission(record.id, from, 100_000 + i, 50_000),
          ),
        );
        expect(wins.filter(Boolean)).toHaveLength(1);
        expect((await store.getById(record.id))?.leaseUntil).toBe(100_000 + wins.indexOf(true));
      },
    );
  });

  describe('releaseLease', () => {
    it('makes a submitting row claimable at once, keeping its state', async () => {
      const { record } = await store.insertIntent(taskIntent({ leaseUntil: 31_000 }), 1_000);
      await store.releaseLease(record.id);
      expect(await store.getById(record.id)).toEqual({ ...record, leaseUntil: 0 });
      expect(await store.claimSubmission(record.id, 'submitting', 40_000, 1_001)).toBe(true);
    });

    it('leaves rows that are not submitting alone', async () => {
      const accepted = await acceptedTask(store);
      await store.releaseLease(accepted.id);
      expect(await store.getById(accepted.id)).toEqual(accepted);
    });
  });

  describe('applySnapshot', () => {
    it('returns null for an upstream id it does not know', async () => {
      expect(await store.applySnapshot(taskSnapshot('unknown'), null, 1_000)).toBeNull();
    });

    it('applies progress and reports it as a change, keeping the creation time that pages are keyed on', async () => {
      const accepted = await acceptedTask(store, { upstreamId: 'up-1', createdAt: 2_000 });
      const snapshot = taskSnapshot('up-1', {
        state: 'succeeded',
        videos: SUCCEEDED_VIDEOS,
        createdAt: 2_222,
        updatedAt: 8_000,
      });
      const result = await store.applySnapshot(snapshot, 'req-9', 9_000);
      const expected: TaskRecord = {
        ...accepted,
        state: 'succeeded',
        videos: SUCCEEDED_VIDEOS,
        updatedAt: 8_000,
        upstreamRequestId: 'req-9',
        checkedAt: 9_000,
      };
      expect(result).toEqual({ changed: true, record: expected });
      expect(await store.getByUpstreamId('up-1')).toEqual(expected);
    });

    it('reports a repeated answer as unchanged but remembers when it was checked', async () => {
      const accepted = await acceptedTask(store, { upstreamId: 'up-1' });
      const result = await store.applySnapshot(taskSnapshot('up-1'), 'req-2', 5_000);
      expect(result).toEqual({ changed: false, record: { ...accepted, upstreamRequestId: 'req-2', checkedAt: 5_000 } });
    });

    it('counts a new status message at the same state as a change', async () => {
      await acceptedTask(store, { upstreamId: 'up-1', state: 'processing' });
      const result = await store.applySnapshot(
        taskSnapshot('up-1', { state: 'processing', statusMessage: '50%' }),
        null,
        5_000,
      );
      expect(result).toMatchObject({ changed: true, record: { statusMessage: '50%' } });
    });

    it('ignores an answer from an earlier state, only updating checkedAt', async () => {
      const accepted = await acceptedTask(store, { upstreamId: 'up-1', state: 'processing' });
      const result = await store.applySnapshot(
        taskSnapshot('up-1', { state: 'submitted', updatedAt: 9_000 }),
        'req-old',
        6_000,
      );
      expect(result).toEqual({ changed: false, record: { ...accepted, checkedAt: 6_000 } });
      expect(await store.getById(accepted.id)).toEqual({ ...accepted, checkedAt: 6_000 });
    });

    it('never changes a terminal task', async () => {
      const accepted = await acceptedTask(store, { upstreamId: 'up-1', state: 'succeeded' });
      const result = await store.applySnapshot(
        taskSnapshot('up-1', { state: 'failed', statusMessage: 'late failure', updatedAt: 99_000 }),
        'req-late',
        7_000,
      );
      expect(result).toEqual({ changed: false, record: { ...accepted, checkedAt: 7_000 } });
    });

    it('never moves a task backwards, whatever order the answers arrive in', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.constantFrom(...ACCEPTED_STATES), { minLength: 1, maxLength: 8 }),
          async (states) => {
            const upstreamId = `up-order-${run++}`;
            await acceptedTask(store, { upstreamId });
            let previous = 'submitted' as AcceptedState;
            for (const [i, state] of states.entries()) {
              const result = await store.applySnapshot(
                taskSnapshot(upstreamId, { state, updatedAt: 2_000 + i }),
                null,
                10_000 + i,
              );
              const now = result!.record.state as AcceptedState;
              expect(STATE_RANK[now]).toBeGreaterThanOrEqual(STATE_RANK[previous]);
              if (isTerminal(previous)) expect(now).toBe(previous);
              expect(result!.changed).toBe(now !== previous);
              previous = now;
            }
            expect((await store.getByUpstreamId(upstreamId))?.state).toBe(previous);
          },
        ),
        { numRuns: 25 },
      );
    });
  });

  describe('reads', () => {
    it('finds a task by upstream id, within a tenant when one is given', async () => {
      const accepted = await acceptedTask(store, { tenant: 'a', upstreamId: 'up-a' });
      expect(await store.getByUpstreamId('up-a')).toEqual(accepted);
      expect(await store.getByUpstreamId('up-a', 'a')).toEqual(accepted);
      expect(await store.getByUpstreamId('up-a', 'b')).toBeNull();
      expect(await store.getByUpstreamId('up-none')).toBeNull();
      expect(await store.getById('none')).toBeNull();
    });

    it('finds a task by our id for its tenant only', async () => {
      const task = await acceptedTask(store, { tenant: 'a' });
      expect(await store.getById(task.id, 'a')).toEqual(task);
      expect(await store.getById(task.id, 'b')).toBeNull();
    });

    it("lists the tenant's tasks but not failed submissions, newest first, optionally by state", async () => {
      const failed = await store.insertIntent(taskIntent({ tenant: 'a' }), 1_000);
      await store.markSubmitFailed(
        failed.record.id,
        { code: 'CONTENT_REJECTED', message: 'no', retryable: false },
        1_100,
      );
      const older = await acceptedTask(store, {
        tenant: 'a',
        upstreamId: 'up-1',
        createdAt: 2_000,
        state: 'processing',
      });
      const newer = await acceptedTask(store, { tenant: 'a', upstreamId: 'up-2', createdAt: 3_000 });
      await acceptedTask(store, { tenant: 'b', upstreamId: 'up-3', createdAt: 4_000 });
      expect(await store.list({ tenant: 'a', limit: 10 })).toEqual([newer, older]);
      expect(await store.list({ tenant: 'a', limit: 10, state: 'processing' })).toEqual([older]);
      expect(await store.list({ tenant: 'a', limit: 1 })).toEqual([newer]);
      expect(
        await store.list({ tenant: 'a', limit: 10, state: 'processing', after: { createdAt: 3_000, id: newer.id } }),
      ).toEqual([older]);
      expect(await store.list({ tenant: 'c', limit: 10 })).toEqual([]);
    });

    it('pages 45 tasks as 20/20/5 with no duplicate and no gap while new tasks arrive', async () => {
      // Ties on createdAt are deliberate: the upstream id must break them.
      const original = await Promise.all(
        Array.from({ length: 45 }, (_, i) =>
          acceptedTask(store, {
            upstreamId: `up-${String(i).padStart(3, '0')}`,
            createdAt: 10_000 + Math.floor(i / 3),
          }),
        ),
      );
      const pages: TaskRecord[][] = [];
      let after: { createdAt: number; id: string } | undefined;
      for (let page = 0; page < 4; page++) {
        const rows = await store.list({ tenant: 'default', limit: 20, after });
        pages.push(rows);
        if (rows.length === 0) break;
        after = { createdAt: rows[rows.length - 1].createdAt, id: rows[rows.length - 1].id };
        await acceptedTask(store, { upstreamId: `up-new-${page}`, createdAt: 50_000 + page });
      }
      expect(pages.map((p) => p.length)).toEqual([20, 20, 5, 0]);
      expect(pages.flat()).toEqual([...original].sort(byListOrder));
    });

    it('pages any set of tasks in list order (keyset property)', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(
            fc.record({
              upstreamId: fc.string({
                unit: fc.constantFrom('a', 'b', 'C', '0', '-', '_'),
                minLength: 1,
                maxLength: 4,
              }),
              createdAt: fc.integer({ min: 0, max: 5 }),
            }),
            {
              selector: (task) => task.upstreamId,
              maxLength: 25,
            },
          ),
          fc.integer({ min: 1, max: 7 }),
          async (tasks, pageSize) => {
            const tenant = `tenant-${run++}`;
            const stored: TaskRecord[] = [];
            for (const task of tasks)
              stored.push(
                await acceptedTask(store, {
                  tenant,
                  upstreamId: `${tenant}/${task.upstreamId}`,
                  createdAt: task.createdAt,
                }),
              );
            const pages = await pageThrough(store, tenant, pageSize);
            expect(pages.every((page) => page.length <= pageSize)).toBe(true);
            expect(pages.flat()).toEqual(stored.sort(byListOrder));
          },
        ),
        { numRuns: 20 },
      );
    });

    it('lists submitting rows for reconciliation and active tasks for the watchers', async () => {
      const submitting = await store.insertIntent(taskIntent({ leaseUntil: 50_000 }), 1_000);
      const failed = await store.insertIntent(taskIntent(), 1_000);
      await store.markSubmitFailed(failed.record.id, SUBMIT_ERROR, 1_100);
      const submitted = await acceptedTask(store, { state: 'submitted' });
      const processing = await acceptedTask(store, { state: 'processing' });
      await acceptedTask(store, { state: 'succeeded' });
      await acceptedTask(store, { state: 'failed' });
      expect(await store.listSubmitting()).toEqual([submitting.record]);
      expect((await store.listActive()).map((t) => t.id).sort()).toEqual([submitted.id, processing.id].sort());
      expect(await store.countByState()).toEqual({
        submitting: 1,
        submit_failed: 1,
        submitted: 1,
        processing: 1,
        succeeded: 1,
        failed: 1,
      });
    });

    it('answers ping while open and refuses once closed (close is idempotent)', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      await store.close();
      await store.close();
      await expect(store.ping()).rejects.toThrow();
    });
  });

  it('keeps a stored video list and error exactly as written (JSON columns)', async () => {
    const { record } = await store.insertIntent(taskIntent(), 1_000);
    await store.markSubmitFailed(record.id, SUBMIT_ERROR, 1_100);
    expect((await store.getById(record.id))?.submitError).toEqual(SUBMIT_ERROR);
    const accepted = await acceptedTask(store, { upstreamId: 'up-json' });
    await store.applySnapshot(
      taskSnapshot('up-json', { state: 'succeeded', videos: SUCCEEDED_VIDEOS, parentVideo: null }),
      null,
      9_000,
    );
    expect(await store.getById(accepted.id)).toMatchObject({
      videos: SUCCEEDED_VIDEOS,
      parentVideo: accepted.parentVideo,
    });
  });

  describe('the queue', () => {
    const queuedIntent = (tenant: string, at: number) =>
      taskIntent({ tenant, recordedAt: at, queued: true, request: JSON.stringify({ text: `${tenant}@${at}` }) });

    it('writes a queued row with its input, and claims it (with the input) as submitting', async () => {
      const { record } = await store.insertIntent(queuedIntent('a', 1_000), 1_000);
      expect(record).toMatchObject({ state: 'queued', queuedAt: 1_000, leaseUntil: 0 });
      expect(await store.queueStats()).toEqual({ depth: 1, oldestQueuedAt: 1_000, live: 0 });
      const claimed = await store.claimQueued(null, 10, 9_000, 2_000);
      expect(claimed).toHaveLength(1);
      expect(claimed[0].record).toMatchObject({ id: record.id, state: 'submitting', leaseUntil: 9_000 });
      expect(JSON.parse(claimed[0].request)).toEqual({ text: 'a@1000' });
      expect(await store.queueStats()).toEqual({ depth: 0, oldestQueuedAt: null, live: 1 });
      // accepted later, it keeps the time it was accepted here: its list position and cursors hold
      const accepted = await store.markAccepted(
        record.id,
        taskSnapshot(uniqueId('up'), { createdAt: 50_000, updatedAt: 50_000 }),
        'req',
        50_100,
      );
      expect(accepted).toMatchObject({ state: 'submitted', createdAt: 1_000, updatedAt: 50_000 });
      expect(await store.getById(record.id)).toEqual(accepted);
    });

    it('orders round-robin across tenants (least recently served first), FIFO within one', async () => {
      for (const [tenant, at] of [
        ['a', 1],
        ['a', 2],
        ['a', 3],
        ['b', 4],
        ['b', 5],
        ['c', 6],
      ] as const)
        await store.insertIntent(queuedIntent(tenant, at), at);
      const tenantOf = async (ids: string[]) => Promise.all(ids.map(async (id) => (await store.getById(id))!.tenant));
      expect(await tenantOf(await store.queueOrder())).toEqual(['a', 'b', 'c', 'a', 'b', 'a']);
      const [first] = await store.claimQueued(null, 1, 9_000, 100);
      expect(first.record.tenant).toBe('a');
      // a was just served: b and c go before a's second task
      expect(await tenantOf(await store.queueOrder())).toEqual(['b', 'c', 'a', 'b', 'a']);
    });

    it('claims no more than the cap leaves room for, counting live tasks', async () => {
      await acceptedTask(store, { upstreamId: uniqueId('up') });
      for (let i = 0; i < 4; i++) await store.insertIntent(queuedIntent('a', 10 + i), 10 + i);
      expect(await store.claimQueued(2, 2, 9_000, 100)).toHaveLength(1);
      expect(await store.claimQueued(2, 2, 9_000, 100)).toHaveLength(0);
      expect((await store.queueStats()).live).toBe(2);
    });

    it('never lets two instances overfill the cap', async () => {
      const other = await anotherInstance();
      for (let i = 0; i < 10; i++) await store.insertIntent(queuedIntent(`t${i % 3}`, 10 + i), 10 + i);
      const claims = await Promise.all(
        Array.from({ length: 6 }, (_, i) => (i % 2 ? other : store).claimQueued(3, 3, 9_000, 100)),
      );
      const ids = claims.flat().map((c) => c.record.id);
      expect(ids).toHaveLength(3);
      expect(new Set(ids).size).toBe(3);
    });

    it('a cancel and a claim racing for one row: exactly one wins', async () => {
      for (let round = 0; round < 10; round++) {
        const { record } = await store.insertIntent(queuedIntent('a', round), round);
        const [claimed, canceled] = await Promise.all([
          store.claimQueued(null, 10, 9_000, 100),
          store.cancelQueued(record.id, 'a', 100),
        ]);
        const won = claimed.some((c) => c.record.id === record.id);
        expect({ round, winners: Number(won) + Number(canceled !== null) }).toEqual({ round, winners: 1 });
        expect((await store.getById(record.id))!.state).toBe(won ? 'submitting' : 'canceled');
      }
    });

    it('cancels only the tenant’s own queued task; requeues a refused submission in its old place', async () => {
      const { record } = await store.insertIntent(queuedIntent('a', 1), 1);
      expect(await store.cancelQueued(record.id, 'b', 100)).toBeNull();
      await store.claimQueued(null, 10, 9_000, 100);
      expect(await store.cancelQueued(record.id, 'a', 100)).toBeNull(); // submitting: too late
      expect(await store.requeue(record.id, 200)).toMatchObject({ state: 'queued', queuedAt: 1, leaseUntil: 0 });
      expect(await store.cancelQueued(record.id, 'a', 300)).toMatchObject({ state: 'canceled' });
    });

    describe('insertIntentClaimed (a create that finds the queue empty)', () => {
      const direct = (s: TaskStore, tenant: string, at: number, cap: number | null, key: string | null = null) =>
        s.insertIntentClaimed(
          {
            ...queuedIntent(tenant, at),
            leaseUntil: at + 30_000,
            idempotencyKey: key,
            idempotencyExpiresAt: key ? at + 60_000 : null,
          },
          cap,
          at,
        );

      it('writes the row already claimed, as a claim would leave it, with its input', async () => {
        const { claimed, record } = await direct(store, 'a', 1_000, 2);
        expect(claimed).toBe(true);
        expect(record).toMatchObject({ state: 'submitting', leaseUntil: 31_000, queuedAt: 1_000, createdAt: 1_000 });
        expect(await store.getById(record.id)).toEqual(record);
        expect(await store.queueStats()).toEqual({ depth: 0, oldestQueuedAt: null, live: 1 });
        // Kling's 1303 puts it back in the queue in its place; accepted later, it keeps our created_at
        expect(await store.requeue(record.id, 2_000)).toMatchObject({ state: 'queued', queuedAt: 1_000 });
        const [again] = await store.claimQueued(null, 1, 40_000, 3_000);
        expect(JSON.parse(again.request)).toEqual({ text: 'a@1000' });
        const accepted = await store.markAccepted(
          record.id,
          taskSnapshot(uniqueId('up'), { createdAt: 9_000 }),
          null,
          9_100,
        );
        expect(accepted).toMatchObject({ state: 'submitted', createdAt: 1_000 });
      });

      it('queues behind any waiting task of any tenant, and when the cap is full', async () => {
        const waiting = await store.insertIntent(queuedIntent('b', 1), 1);
        const behind = await direct(store, 'a', 2, null);
        expect(behind).toMatchObject({ claimed: false, record: { state: 'queued', queuedAt: 2, leaseUntil: 0 } });
        expect(await store.queueOrder()).toEqual([waiting.record.id, behind.record.id]);
        await store.claimQueued(null, 10, 9_000, 100);
        expect((await direct(store, 'c', 200, 3)).claimed).toBe(true);
        const full = await direct(store, 'c', 300, 3);
        expect(full).toMatchObject({ claimed: false, record: { state: 'queued' } });
        expect(await store.queueStats()).toMatchObject({ depth: 1, live: 3 });
      });

      it('counts the tenant as served in the round-robin order', async () => {
        expect((await direct(store, 'a', 1, null)).claimed).toBe(true);
        await store.insertIntent(queuedIntent('a', 2), 2);
        await store.insertIntent(queuedIntent('b', 3), 3);
        const tenantOf = async (ids: string[]) => Promise.all(ids.map(async (id) => (await store.getById(id))!.tenant));
        expect(await tenantOf(await store.queueOrder())).toEqual(['b', 'a']);
      });

      it('keeps idempotency: a second create with the key gets the first row, unclaimed', async () => {
        const first = await direct(store, 'a', 1, null, 'key-1');
        const second = await direct(store, 'a', 2, null, 'key-1');
        expect(second).toEqual({ created: false, claimed: false, record: first.record });
      });

      it('never lets concurrent creates on two instances overfill the cap', async () => {
        const other = await anotherInstance();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => direct(i % 2 ? other : store, `t${i % 3}`, 10 + i, 3)),
        );
        expect(results.filter((r) => r.claimed)).toHaveLength(3);
        expect(await store.queueStats()).toMatchObject({ depth: 17, live: 3 });
        // and the claims that follow see the cap full too
        expect(await other.claimQueued(3, 3, 9_000, 100)).toHaveLength(0);
      });
    });

    it('expires tasks queued too long, with the reason', async () => {
      const old = await store.insertIntent(queuedIntent('a', 1_000), 1_000);
      const young = await store.insertIntent(queuedIntent('a', 5_000), 5_000);
      const expired = await store.expireQueued(2_000, 'waited too long', 6_000);
      expect(expired.map((r) => [r.id, r.state, r.statusMessage])).toEqual([
        [old.record.id, 'failed', 'waited too long'],
      ]);
      expect((await store.getById(young.record.id))!.state).toBe('queued');
    });
  });

  describe('units charged and usage (migration 007)', () => {
    const DAY = 86_400_000;
    async function charged(tenant: string, createdAt: number, state: AcceptedState, units: number | null) {
      const task = await acceptedTask(store, { tenant, createdAt });
      await store.applySnapshot(
        taskSnapshot(task.upstreamId as string, {
          state,
          createdAt,
          updatedAt: createdAt + 1,
          unitsChargedMicro: units,
        }),
        null,
        5_000,
      );
      return task;
    }

    it('stores the first units once, tells the listener once, across answers and instances', async () => {
      const heard: string[] = [];
      const other = await anotherInstance();
      store.onUnitsCharged((record) => heard.push(`a:${record.unitsChargedMicro}`));
      other.onUnitsCharged((record) => heard.push(`b:${record.unitsChargedMicro}`));
      const task = await charged('default', 2_000, 'succeeded', 100_000);
      const again = taskSnapshot(task.upstreamId as string, {
        state: 'succeeded',
        updatedAt: 9_000,
        unitsChargedMicro: 7,
      });
      await store.applySnapshot(again, null, 6_000);
      await other.applySnapshot(again, null, 6_000);
      expect(heard).toEqual(['a:100000']);
      expect((await other.getById(task.id))?.unitsChargedMicro).toBe(100_000);
    });

    it('stores units an acceptance already carries (a reconciled task that had finished), telling the listener once', async () => {
      const heard: (number | null)[] = [];
      store.onUnitsCharged((record) => heard.push(record.unitsChargedMicro));
      const { record } = await store.insertIntent(taskIntent(), 1_000);
      const done = taskSnapshot(uniqueId('up'), { state: 'succeeded', unitsChargedMicro: 1_500_000 });
      expect(await store.markAccepted(record.id, done, null, 2_000)).toMatchObject({ unitsChargedMicro: 1_500_000 });
      await store.markAccepted(record.id, done, null, 3_000);
      expect(heard).toEqual([1_500_000]);
    });

    it('adds up usage exactly, per tenant and per UTC day, over [from, to)', async () => {
      await charged('t1', DAY + 10, 'succeeded', 100_000);
      await charged('t1', DAY + 20, 'succeeded', 200_000);
      await charged('t1', 2 * DAY + 5, 'failed', 0);
      await charged('t1', 3 * DAY, 'succeeded', 1); // outside [DAY, 3 DAY)
      await charged('t2', DAY + 30, 'succeeded', 5_000_000);
      const query = { tenant: 't1', from: DAY, to: 3 * DAY };
      expect(await store.usage({ ...query, byDay: false })).toEqual([
        { day: null, tasks: 3, succeeded: 2, failed: 1, canceled: 0, identifications: 0, unitsChargedMicro: 300_000 },
      ]);
      expect(await store.usage({ ...query, byDay: true })).toEqual([
        { day: DAY, tasks: 2, succeeded: 2, failed: 0, canceled: 0, identifications: 0, unitsChargedMicro: 300_000 },
        { day: 2 * DAY, tasks: 1, succeeded: 0, failed: 1, canceled: 0, identifications: 0, unitsChargedMicro: 0 },
      ]);
      expect(await store.usage({ tenant: 'nobody', from: 0, to: DAY, byDay: false })).toEqual([
        { day: null, tasks: 0, succeeded: 0, failed: 0, canceled: 0, identifications: 0, unitsChargedMicro: 0 },
      ]);
    });

    it('weighs a budget: units since the month began, pending tasks, the largest charge since the look-back', async () => {
      await charged('t1', 1_000, 'succeeded', 900_000); // before the month: only its price counts
      await charged('t1', DAY + 1, 'succeeded', 300_000);
      await charged('t1', DAY + 2, 'processing', null);
      expect(await store.budgetUse('t1', DAY, 0)).toEqual({
        chargedMicro: 300_000,
        pending: 1,
        largestChargeMicro: 900_000,
      });
      expect(await store.budgetUse('t2', DAY, 0)).toEqual({ chargedMicro: 0, pending: 0, largestChargeMicro: null });
    });
  });

  describe('getOrCreateSecret', () => {
    it('stores the first candidate and returns it to every later caller, whatever they propose', async () => {
      expect(await store.getOrCreateSecret('callback-key', 'first')).toBe('first');
      expect(await store.getOrCreateSecret('callback-key', 'second')).toBe('first');
      expect(await store.getOrCreateSecret('another-key', 'other')).toBe('other');
    });

    it('gives instances racing to create it one value, kept for later instances', async () => {
      const other = await anotherInstance();
      const values = await Promise.all([
        ...Array.from({ length: 5 }, (_, i) => store.getOrCreateSecret('shared', `from-a-${i}`)),
        ...Array.from({ length: 5 }, (_, i) => other.getOrCreateSecret('shared', `from-b-${i}`)),
      ]);
      expect(new Set(values).size).toBe(1);
      const later = await anotherInstance();
      expect(await later.getOrCreateSecret('shared', 'late')).toBe(values[0]);
    });
  });
}
