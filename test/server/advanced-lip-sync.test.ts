import {
  ADVANCED_MUTATION,
  FOLLOW_SUBSCRIPTION,
  IDENTIFY_MUTATION,
  VIDEO_URL,
  faceAudio,
} from '../support/advancedOperations';
import { FAKE_FACES, FAKE_IDENTIFY_UNITS } from '../support/fakeAdvancedKling';
import type { GraphQLTestClient } from '../support/graphqlClient';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

interface Identification {
  sessionId: string;
  faces: Array<{ id: string; imageUrl: string; startMs: number; endMs: number }>;
  unitsCharged: number | null;
  expiresAt: string;
}

async function identify(client: GraphQLTestClient, videoUrl = VIDEO_URL): Promise<Identification> {
  const res = await client.request(IDENTIFY_MUTATION, { input: { videoUrl } });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.identifyFaces as Identification;
}

/**
 * Kling's two-step flow (docs/kling.md, "Advanced lip-sync") through the real server and the HTTP fake: identify the
 * faces, make one speak, follow it to SUCCEEDED, on the same lifecycle (and store, list, idempotency) as createLipSync.
 */
describe('advanced lip-sync: identifyFaces, then createAdvancedLipSync', () => {
  let t: TestServer;
  let client: GraphQLTestClient;
  beforeAll(async () => {
    t = await startTestServer({ env: { AUTH_TOKENS: 'alpha=token-alpha,beta=token-beta' } });
    client = t.client.withHeaders({ authorization: 'Bearer token-alpha' });
  });
  afterAll(() => t.close());

  it('identifies, creates, and a subscription follows the task to SUCCEEDED with its face and watermark', async () => {
    const before = t.fake.requests.length;
    const session = await identify(client);
    expect(session).toEqual({
      sessionId: expect.stringMatching(/^session-/),
      faces: [
        {
          id: FAKE_FACES[0].face_id,
          imageUrl: expect.stringMatching(/^https:\/\/.+\/faces\/face_1\.jpg$/),
          startMs: FAKE_FACES[0].start_time,
          endMs: FAKE_FACES[0].end_time,
        },
      ],
      unitsCharged: Number(FAKE_IDENTIFY_UNITS),
      expiresAt: expect.any(String),
      upstreamRequestId: expect.any(String),
    });
    // FACE_SESSION_TTL_HOURS defaults to 24
    const ttl = Date.parse(session.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(23.9 * 3_600_000);
    expect(ttl).toBeLessThanOrEqual(24 * 3_600_000);

    const input = { sessionId: session.sessionId, faces: [faceAudio()], watermark: true };
    const created = await client.request(ADVANCED_MUTATION, { input });
    expect(created.body.errors).toBeUndefined();
    const task = created.body.data!.createAdvancedLipSync;
    expect(task).toMatchObject({
      kind: 'ADVANCED',
      mode: null,
      status: 'SUBMITTED',
      klingTaskId: expect.any(String),
      face: { id: 'face_1', startMs: 1_000, endMs: 5_000, imageUrl: session.faces[0].imageUrl },
    });

    // The exact upstream bodies of both endpoints, with the headers every Kling call carries.
    const sent = t.fake.requests.slice(before);
    expect(sent.map((r) => [r.method, r.path, r.endpoint])).toEqual([
      ['POST', '/v1/videos/identify-face', 'identify_face'],
      ['POST', '/v1/videos/advanced-lip-sync', 'advanced_create'],
    ]);
    expect(sent[0].body).toEqual({ video_url: VIDEO_URL });
    expect(sent[1].body).toEqual({
      session_id: session.sessionId,
      face_choose: [
        {
          face_id: 'face_1',
          sound_file: 'https://example.com/speech.mp3',
          sound_start_time: 0,
          sound_end_time: 3_000,
          sound_insert_time: 1_000,
          sound_volume: 1,
          original_audio_volume: 1,
        },
      ],
      watermark_info: { enabled: true },
      external_task_id: task.id,
    });
    for (const request of sent) {
      expect(request.headers).toMatchObject({
        authorization: 'Bearer fake-kling-api-key',
        'content-type': 'application/json',
        accept: 'application/json',
      });
    }

    const ws = client.ws();
    try {
      const updates = await client.subscribeAll(ws, FOLLOW_SUBSCRIPTION, { id: task.id });
      const last = updates.at(-1)!.data!.lipSyncTaskUpdated;
      expect(last).toMatchObject({
        id: task.id,
        kind: 'ADVANCED',
        mode: null,
        status: 'SUCCEEDED',
        face: { id: 'face_1', startMs: 1_000, endMs: 5_000 },
      });
      expect(last.videos).toEqual([
        { url: expect.stringMatching(/\.mp4$/), watermarkUrl: expect.stringMatching(/-wm\.mp4$/) },
      ]);
    } finally {
      await ws.dispose();
    }
    // Followed at the advanced family's own get endpoint.
    expect(t.fake.count('advanced_get')).toBeGreaterThan(0);
    const got = await client.request(`query($id: ID!) { lipSyncTask(id: $id) { kind status face { id } } }`, {
      id: task.klingTaskId,
    });
    expect(got.body.data!.lipSyncTask).toEqual({ kind: 'ADVANCED', status: 'SUCCEEDED', face: { id: 'face_1' } });
  });

  it('sends audioId, a Base64 soundFile and the volumes as given, without a watermark', async () => {
    const session = await identify(client);
    const before = t.fake.requests.length;
    const soundFile = Buffer.from('RIFF fake wav').toString('base64');
    const faces = [faceAudio({ soundUrl: null, audioId: 'tts-audio-1', soundVolume: 0, originalAudioVolume: 2 })];
    const first = await client.request(ADVANCED_MUTATION, { input: { sessionId: session.sessionId, faces } });
    expect(first.body.errors).toBeUndefined();
    const second = await client.request(ADVANCED_MUTATION, {
      input: { sessionId: session.sessionId, faces: [faceAudio({ soundUrl: undefined, soundFile })], watermark: false },
    });
    expect(second.body.errors).toBeUndefined();
    const [a, b] = t.fake.requests
      .slice(before)
      .map((r) => r.body as { face_choose: unknown[]; watermark_info: unknown });
    expect(a.face_choose).toEqual([
      {
        face_id: 'face_1',
        audio_id: 'tts-audio-1',
        sound_start_time: 0,
        sound_end_time: 3_000,
        sound_insert_time: 1_000,
        sound_volume: 0,
        original_audio_volume: 2,
      },
    ]);
    expect(a.watermark_info).toEqual({ enabled: false });
    expect(b.face_choose).toEqual([expect.objectContaining({ sound_file: soundFile })]);
    expect(b.face_choose[0]).not.toHaveProperty('audio_id');
  });

  it('lists by kind', async () => {
    const standard = await client.request(CREATE_MUTATION, { input: TEXT_INPUT });
    expect(standard.body.errors).toBeUndefined();
    const list = async (kind?: string) => {
      const res = await client.request(
        `query($kind: LipSyncKind) { lipSyncTasks(first: 100, kind: $kind) { edges { node { id kind mode } } } }`,
        { kind },
      );
      return (
        res.body.data!.lipSyncTasks.edges as Array<{ node: { id: string; kind: string; mode: string | null } }>
      ).map((e) => e.node);
    };
    const all = await list();
    const advanced = await list('ADVANCED');
    const standards = await list('STANDARD');
    expect(advanced.length).toBeGreaterThanOrEqual(3);
    expect(advanced.every((n) => n.kind === 'ADVANCED' && n.mode === null)).toBe(true);
    expect(standards.every((n) => n.kind === 'STANDARD' && n.mode !== null)).toBe(true);
    expect(standards.map((n) => n.id)).toContain(standard.body.data!.createLipSync.id);
    expect(all.map((n) => n.id).sort()).toEqual([...advanced, ...standards].map((n) => n.id).sort());
  });

  it('idempotent retries: the same key and input give the same task with one upstream create, even concurrently', async () => {
    const session = await identify(client);
    const input = { sessionId: session.sessionId, faces: [faceAudio()], idempotencyKey: `adv-${Date.now()}` };
    const creates = t.fake.count('advanced_create');
    const answers = await Promise.all(Array.from({ length: 10 }, () => client.request(ADVANCED_MUTATION, { input })));
    const ids = new Set(answers.map((a) => a.body.data?.createAdvancedLipSync.id));
    expect(answers.every((a) => a.body.errors === undefined)).toBe(true);
    expect(ids.size).toBe(1);
    // Defaults given explicitly ask for the same thing.
    const explicit = await client.request(ADVANCED_MUTATION, {
      input: { ...input, watermark: false, faces: [faceAudio({ soundVolume: 1, originalAudioVolume: 1 })] },
    });
    expect(explicit.body.data?.createAdvancedLipSync.id).toBe([...ids][0]);
    // The Idempotency-Key header works the same.
    const headerInput = { sessionId: session.sessionId, faces: [faceAudio()] };
    const headers = { 'idempotency-key': `adv-header-${Date.now()}` };
    const h1 = await client.request(ADVANCED_MUTATION, { input: headerInput }, headers);
    const h2 = await client.request(ADVANCED_MUTATION, { input: headerInput }, headers);
    expect(h2.body.data?.createAdvancedLipSync.id).toBe(h1.body.data?.createAdvancedLipSync.id);
    expect(t.fake.count('advanced_create')).toBe(creates + 2);

    const other = await client.request(ADVANCED_MUTATION, {
      input: { ...input, faces: [faceAudio({ soundInsertMs: 1_500 })] },
    });
    expect(other.body.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      validationErrors: [{ field: 'idempotencyKey', message: expect.stringMatching(/different input/) }],
    });
    expect(t.fake.count('advanced_create')).toBe(creates + 2);
  });

  it('an identification with no face answers an empty list (nothing to pay a lip-sync for)', async () => {
    const session = await identify(client, 'https://example.com/no-face-landscape.mp4');
    expect(session.faces).toEqual([]);
  });

  it('counts identify-face and advanced creates in upstream_requests_total (endpoint label, a fixed set)', async () => {
    const text = await (await fetch(`${t.server.url.replace(/\/graphql$/, '')}/metrics`)).text();
    expect(text).toMatch(/upstream_requests_total\{endpoint="identify_face",code="0"\} [1-9]/);
    expect(text).toMatch(/upstream_requests_total\{endpoint="advanced_create",code="0"\} [1-9]/);
    expect(text).toMatch(/graphql_operations_total\{operation="Advanced",outcome="success"\} [1-9]/);
  });
});
