import type { TaskRecord } from '../../src/domain/task';
import { MIGRATIONS } from '../../src/store/migrations';
import { UpstreamIdConflictError } from '../../src/store/storeErrors';
import type { TaskStore } from '../../src/store/TaskStore';
import { SUBMIT_ERROR, SUCCEEDED_VIDEOS, taskIntent, taskSnapshot } from '../support/storeFixtures';

/**
 * A database written by a server at schema version 1 (table-level UNIQUE constraints, DESC list indexes, active
 * tasks by checked_at), upgraded by opening it with this one: every row must survive as it was, and the rules
 * the old constraints enforced must still hold through the new partial unique indexes.
 */
export interface V1Harness {
  /** creates a database at version 1 (its migration only) holding exactly these rows */
  seedV1(rows: readonly TaskRecord[]): Promise<void>;
  /** opens (and so migrates) the database seedV1 wrote */
  open(): Promise<TaskStore>;
  /** the names of the indexes on `tasks`, and the schema versions recorded, as the database reports them */
  inspect(): Promise<{ indexes: string[]; versions: number[] }>;
}

const PARENT = { id: 'parent-1', url: 'https://cdn.example/parent.mp4', durationSeconds: 5.5 };

function row(id: string, overrides: Partial<TaskRecord>): TaskRecord {
  return {
    id,
    tenant: 'default',
    state: 'submitting',
    upstreamId: null,
    mode: 'TEXT_TO_VIDEO',
    statusMessage: null,
    parentVideo: null,
    videos: [],
    idempotencyKey: null,
    requestHash: `hash-${id}`,
    idempotencyExpiresAt: null,
    upstreamRequestId: null,
    submitError: null,
    createdAt: 1_000,
    updatedAt: 1_000,
    recordedAt: 1_000,
    checkedAt: 0,
    leaseUntil: 31_000,
    queuedAt: null,
    ...overrides,
  };
}

/** One row of every kind the old schema held, with NULL keys and NULL upstream ids more than once. */
export const V1_ROWS: readonly TaskRecord[] = [
  row('v1-submitting', { leaseUntil: 40_000 }),
  row('v1-submitting-2', { leaseUntil: 35_000, mode: 'AUDIO_TO_VIDEO' }),
  row('v1-keyed', { idempotencyKey: 'k-live', idempotencyExpiresAt: 50_000, leaseUntil: 45_000 }),
  row('v1-failed-submit', {
    state: 'submit_failed',
    submitError: SUBMIT_ERROR,
    idempotencyKey: 'k-failed',
    idempotencyExpiresAt: 50_000,
    updatedAt: 1_500,
  }),
  row('v1-submitted', {
    state: 'submitted',
    upstreamId: 'up-1',
    parentVideo: PARENT,
    createdAt: 2_000,
    updatedAt: 2_000,
    upstreamRequestId: 'req-1',
    checkedAt: 3_000,
  }),
  row('v1-processing', {
    state: 'processing',
    upstreamId: 'up-2',
    statusMessage: '50%',
    createdAt: 2_500,
    updatedAt: 2_600,
    checkedAt: 2_700,
  }),
  row('v1-succeeded', {
    state: 'succeeded',
    upstreamId: 'up-3',
    parentVideo: PARENT,
    videos: SUCCEEDED_VIDEOS,
    idempotencyKey: 'k-expired',
    idempotencyExpiresAt: 5_000,
    createdAt: 2_000,
    updatedAt: 8_000,
    checkedAt: 9_000,
  }),
  row('v1-failed', {
    tenant: 'b',
    state: 'failed',
    upstreamId: 'up-4',
    statusMessage: 'no face',
    createdAt: 4_000,
    updatedAt: 4_100,
    checkedAt: 4_200,
  }),
];

const byId = (id: string) => V1_ROWS.find((r) => r.id === id)!;

export function describeMigrationFromV1(harness: V1Harness): void {
  const opened: TaskStore[] = [];

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  async function migrated(): Promise<TaskStore> {
    await harness.seedV1(V1_ROWS);
    const store = await harness.open();
    opened.push(store);
    return store;
  }

  it('keeps every row as it was and serves every read from the new indexes', async () => {
    const store = await migrated();
    for (const record of V1_ROWS) expect(await store.getById(record.id)).toEqual(record);
    expect(await harness.inspect()).toEqual({
      versions: MIGRATIONS.map((m) => m.version), // every later migration applies too
      indexes: expect.arrayContaining([
        'tasks_active',
        'tasks_idempotency_key',
        'tasks_list',
        'tasks_list_by_state',
        'tasks_submitting',
        'tasks_upstream_id',
      ]),
    });
    expect(await store.getByUpstreamId('up-2')).toEqual(byId('v1-processing'));
    // Every row a client has seen, keyed by our id (migration 004): rows still submitting show as SUBMITTED.
    const submitting = [byId('v1-submitting-2'), byId('v1-submitting'), byId('v1-keyed')];
    expect(await store.list({ tenant: 'default', limit: 10 })).toEqual([
      byId('v1-processing'),
      byId('v1-succeeded'),
      byId('v1-submitted'),
      ...submitting,
    ]);
    expect(await store.list({ tenant: 'default', limit: 10, after: { createdAt: 2_000, id: 'v1-succeeded' } })).toEqual(
      [byId('v1-submitted'), ...submitting],
    );
    expect(await store.list({ tenant: 'b', limit: 10, state: 'failed' })).toEqual([byId('v1-failed')]);
    expect((await store.listActive()).map((r) => r.id)).toEqual(['v1-processing', 'v1-submitted']);
    expect((await store.listSubmitting()).map((r) => r.id)).toEqual(['v1-submitting-2', 'v1-submitting', 'v1-keyed']);
    expect(await store.countByState()).toEqual({
      submitting: 3,
      submit_failed: 1,
      submitted: 1,
      processing: 1,
      succeeded: 1,
      failed: 1,
    });
  });

  it('still enforces one live row per (tenant, idempotency key) and one task per upstream id', async () => {
    const store = await migrated();
    const retry = await store.insertIntent(
      taskIntent({ idempotencyKey: 'k-live', idempotencyExpiresAt: 90_000 }),
      10_000,
    );
    expect(retry).toEqual({ created: false, record: byId('v1-keyed') });
    expect((await store.insertIntent(taskIntent({ idempotencyKey: 'k-failed' }), 10_000)).record.id).toBe(
      'v1-failed-submit',
    );
    // another tenant may use the key; an expired key is released to a new row
    expect((await store.insertIntent(taskIntent({ tenant: 'b', idempotencyKey: 'k-live' }), 10_000)).created).toBe(
      true,
    );
    const fresh = await store.insertIntent(
      taskIntent({ idempotencyKey: 'k-expired', idempotencyExpiresAt: 90_000 }),
      10_000,
    );
    expect(fresh.created).toBe(true);
    expect((await store.getById('v1-succeeded'))?.idempotencyKey).toBeNull();

    await expect(store.markAccepted('v1-submitting', taskSnapshot('up-3'), null, 10_000)).rejects.toBeInstanceOf(
      UpstreamIdConflictError,
    );
    expect(await store.getById('v1-submitting')).toEqual(byId('v1-submitting'));
    const accepted = await store.markAccepted('v1-submitting', taskSnapshot('up-new'), 'req-new', 10_000);
    expect(await store.getByUpstreamId('up-new')).toEqual(accepted);

    // rows without a key or an upstream id are never in each other's way
    const unkeyed = await Promise.all([1, 2, 3].map(() => store.insertIntent(taskIntent(), 10_000)));
    expect(unkeyed.map((r) => r.created)).toEqual([true, true, true]);
  });
}
