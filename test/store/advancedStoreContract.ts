import { FACE_SESSION_KEEP_MS } from '../../src/store/faceSessionSql';
import type { FaceSession } from '../../src/domain/faceSession';
import type { FaceInfo } from '../../src/domain/task';
import type { TaskStore } from '../../src/store/TaskStore';
import { taskIntent, taskSnapshot, uniqueId } from '../support/storeFixtures';
import type { StoreHarness } from './taskStoreContract';

const FACE: FaceInfo = { id: 'face_1', imageUrl: 'https://cdn.example/face_1.jpg', startMs: 1_000, endMs: 5_000 };

function faceSession(overrides: Partial<FaceSession> = {}): FaceSession {
  return {
    id: uniqueId('session'),
    tenant: 'default',
    faces: [FACE, { ...FACE, id: 'face_2', startMs: 2_500, endMs: 5_100 }],
    unitsCharged: 0.5,
    upstreamRequestId: 'req-identify',
    createdAt: 1_000,
    expiresAt: 100_000,
    ...overrides,
  };
}

/** Migration 005's columns (kind, nullable mode, face) and table (face_sessions), for every TaskStore. */
export function describeAdvancedStoreContract(harness: StoreHarness): void {
  let store: TaskStore;
  beforeEach(async () => {
    store = await harness.open();
  });
  afterEach(() => store.close());

  it('keeps an ADVANCED task (no mode, its face) through intent, acceptance and later answers', async () => {
    const intent = taskIntent({
      mode: null,
      kind: 'ADVANCED',
      face: FACE,
      queued: true,
      request: '{"kind":"ADVANCED"}',
    });
    const { record } = await store.insertIntent(intent, 1_000);
    expect(record).toMatchObject({ kind: 'ADVANCED', mode: null, face: FACE, state: 'queued' });
    expect(await store.getById(intent.id)).toEqual(record);
    const [claimed] = await store.claimQueued(null, 1, 40_000, 2_000);
    expect(claimed.request).toBe('{"kind":"ADVANCED"}');
    expect(claimed.record).toMatchObject({ kind: 'ADVANCED', mode: null, face: FACE });
    const upstreamId = uniqueId('up');
    const accepted = await store.markAccepted(intent.id, taskSnapshot(upstreamId), 'req-1', 3_000);
    expect(accepted).toMatchObject({ kind: 'ADVANCED', mode: null, face: FACE, state: 'submitted' });
    const video = {
      id: 'v',
      url: 'https://cdn.example/out.mp4',
      durationSeconds: 5.1,
      watermarkUrl: 'https://cdn.example/wm.mp4',
    };
    const done = await store.applySnapshot(
      taskSnapshot(upstreamId, { state: 'succeeded', videos: [video], updatedAt: 9_000 }),
      'req-2',
      9_000,
    );
    expect(done?.record).toMatchObject({ kind: 'ADVANCED', face: FACE, videos: [video] });
    expect(await store.getById(intent.id)).toEqual(done?.record);
  });

  it('a STANDARD intent without a kind is STANDARD with no face', async () => {
    const { record } = await store.insertIntent(taskIntent(), 1_000);
    expect(record).toMatchObject({ kind: 'STANDARD', face: null, mode: 'TEXT_TO_VIDEO' });
    expect(await store.getById(record.id)).toEqual(record);
  });

  it('lists by kind, alone and with a state, page after page', async () => {
    const tenant = uniqueId('tenant');
    const ids: Record<string, string[]> = { STANDARD: [], ADVANCED: [] };
    for (let i = 0; i < 6; i++) {
      const kind = i % 2 === 0 ? 'ADVANCED' : 'STANDARD';
      const intent = taskIntent({
        tenant,
        recordedAt: 1_000 + i,
        queued: true,
        ...(kind === 'ADVANCED' ? { kind, mode: null, face: FACE } : {}),
      });
      await store.insertIntent(intent, 1_000 + i);
      ids[kind].unshift(intent.id); // newest first
    }
    const advanced = await store.list({ tenant, limit: 10, kind: 'ADVANCED' });
    expect(advanced.map((r) => r.id)).toEqual(ids.ADVANCED);
    expect((await store.list({ tenant, limit: 10, kind: 'STANDARD' })).map((r) => r.id)).toEqual(ids.STANDARD);
    const [first] = advanced;
    const next = await store.list({
      tenant,
      limit: 10,
      kind: 'ADVANCED',
      after: { createdAt: first.createdAt, id: first.id },
    });
    expect(next.map((r) => r.id)).toEqual(ids.ADVANCED.slice(1));
    expect((await store.list({ tenant, limit: 10, kind: 'ADVANCED', state: 'queued' })).map((r) => r.id)).toEqual(
      ids.ADVANCED,
    );
    expect(await store.list({ tenant, limit: 10, kind: 'ADVANCED', state: 'canceled' })).toEqual([]);
    const after = { createdAt: first.createdAt, id: first.id };
    expect(
      (await store.list({ tenant, limit: 10, kind: 'ADVANCED', state: 'queued', after })).map((r) => r.id),
    ).toEqual(ids.ADVANCED.slice(1));
  });

  it('keeps face sessions per tenant, expired ones as long as usage looks back, and deletes older ones on the next write', async () => {
    const session = faceSession({ tenant: uniqueId('tenant') });
    await store.saveFaceSession(session, 2_000);
    expect(await store.getFaceSession(session.id, session.tenant)).toEqual(session);
    expect(await store.getFaceSession(session.id, 'another tenant')).toBeNull();
    expect(await store.getFaceSession('unknown', session.tenant)).toBeNull();
    const noUnits = faceSession({ unitsCharged: null, upstreamRequestId: null, faces: [] });
    await store.saveFaceSession(noUnits, 2_000);
    expect(await store.getFaceSession(noUnits.id, 'default')).toEqual(noUnits);
    // An expired session reads back as is (identifications cost units: usage counts them), until it is older
    // than usage can look back; the next write then deletes it.
    await store.saveFaceSession(faceSession({ expiresAt: 500_000 }), session.expiresAt + 1);
    expect(await store.getFaceSession(session.id, session.tenant)).toEqual(session);
    await store.saveFaceSession(faceSession({ expiresAt: 500_000 }), session.expiresAt + FACE_SESSION_KEEP_MS + 1);
    expect(await store.getFaceSession(session.id, session.tenant)).toBeNull();
  });

  it('adds up identifications and their units exactly, per tenant and per UTC day, over [from, to)', async () => {
    const DAY = 86_400_000;
    const tenant = uniqueId('tenant');
    const identified = (createdAt: number, unitsCharged: number | null) =>
      store.saveFaceSession(faceSession({ tenant, createdAt, expiresAt: createdAt + DAY, unitsCharged }), createdAt);
    await identified(DAY + 10, 0.1);
    await identified(DAY + 20, 0.2);
    await identified(2 * DAY + 5, null); // no units reported: counted, charged nothing
    await identified(3 * DAY, 1); // outside [DAY, 3 DAY)
    const query = { tenant, from: DAY, to: 3 * DAY };
    expect(await store.faceUsage({ ...query, byDay: false })).toEqual([
      { day: null, identifications: 3, unitsChargedMicro: 300_000 },
    ]);
    expect(await store.faceUsage({ ...query, byDay: true })).toEqual([
      { day: DAY, identifications: 2, unitsChargedMicro: 300_000 },
      { day: 2 * DAY, identifications: 1, unitsChargedMicro: 0 },
    ]);
    expect(await store.faceUsage({ tenant: 'nobody', from: 0, to: DAY, byDay: false })).toEqual([
      { day: null, identifications: 0, unitsChargedMicro: 0 },
    ]);
  });
}
