import { ADVANCED_MUTATION, IDENTIFY_MUTATION, VIDEO_URL, faceAudio } from '../support/advancedOperations';
import { FAKE_KLING_API_KEY } from '../support/fakeKling';
import type { GraphQLTestClient } from '../support/graphqlClient';
import { sleep } from '../support/childServer';
import { startTestServer, type TestServer } from '../support/testServer';

const FIVE_MB = 5 * 1024 * 1024;

async function sessionOf(client: GraphQLTestClient, videoUrl = VIDEO_URL): Promise<string> {
  const res = await client.request(IDENTIFY_MUTATION, { input: { videoUrl } });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.identifyFaces.sessionId as string;
}

/**
 * Every rule of an advanced lip-sync at its edge (docs/api.md, "Advanced lip-sync"): the wrong side is
 * BAD_USER_INPUT naming the field, with no request at all to the upstream (the fake's request log); the right side
 * is accepted by the fake, which enforces Kling's rules too.
 */
describe('advanced lip-sync validation, before any upstream call', () => {
  let t: TestServer;
  let alpha: GraphQLTestClient;
  let beta: GraphQLTestClient;
  let session: string;
  let twoFaceSession: string;

  beforeAll(async () => {
    t = await startTestServer({ env: { AUTH_TOKENS: 'alpha=token-alpha,beta=token-beta' } });
    alpha = t.client.withHeaders({ authorization: 'Bearer token-alpha' });
    beta = t.client.withHeaders({ authorization: 'Bearer token-beta' });
    session = await sessionOf(alpha); // face_1 [1000, 5000] ms
    twoFaceSession = await sessionOf(alpha, 'https://example.com/two-faces.mp4'); // face_1, face_2 [2500, 5100]
  });
  afterAll(() => t.close());

  /**
   * Requests that make something at Kling (creates, identifications). The watcher keeps polling the tasks earlier
   * cases created (GETs), so those are left out of "nothing reached the upstream".
   */
  const posts = () => t.fake.requests.filter((r) => r.method === 'POST').length;

  /** The create is refused for exactly this field, and nothing reached the upstream. */
  async function expectRejected(
    input: Record<string, unknown>,
    field: string,
    client = alpha,
    mutation = ADVANCED_MUTATION,
  ): Promise<string> {
    const before = posts();
    const res = await client.request(mutation, { input });
    const error = res.body.errors?.[0];
    expect(error?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      validationErrors: [{ field, message: expect.stringContaining(field) }],
    });
    expect(posts()).toBe(before);
    return (error!.extensions!.validationErrors as Array<{ message: string }>)[0].message;
  }

  async function expectAccepted(input: Record<string, unknown>): Promise<void> {
    const before = t.fake.count('advanced_create');
    const res = await alpha.request(ADVANCED_MUTATION, { input });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.createAdvancedLipSync.status).toBe('SUBMITTED');
    expect(t.fake.count('advanced_create')).toBe(before + 1);
  }

  const withFace = (overrides: Record<string, unknown>) => ({ sessionId: session, faces: [faceAudio(overrides)] });

  it('cropped length: 1,999 ms is refused, 2,000 ms accepted', async () => {
    const message = await expectRejected(withFace({ soundEndMs: 1_999 }), 'faces[0].soundEndMs');
    expect(message).toMatch(/at least 2000 ms.*got 1999 ms/);
    await expectAccepted(withFace({ soundEndMs: 2_000 }));
  });

  it('start before end: an empty or reversed crop is refused on soundStartMs', async () => {
    await expectRejected(withFace({ soundStartMs: 3_000, soundEndMs: 3_000 }), 'faces[0].soundStartMs');
    await expectRejected(withFace({ soundStartMs: 4_000, soundEndMs: 1_000 }), 'faces[0].soundStartMs');
  });

  it("overlap with the face's [startMs, endMs]: 1,999 ms is refused on either side, 2,000 ms accepted", async () => {
    // face_1 is [1000, 5000]; a 3,000 ms clip at 3,001 ends at 6,001 → 1,999 ms shared
    const message = await expectRejected(withFace({ soundInsertMs: 3_001 }), 'faces[0].soundInsertMs');
    expect(message).toMatch(/overlaps face face_1 \[1000, 5000\] ms by 1999 ms/);
    // a 2,999 ms clip at 0 ends at 2,999 → 1,999 ms shared
    await expectRejected(withFace({ soundEndMs: 2_999, soundInsertMs: 0 }), 'faces[0].soundInsertMs');
    await expectAccepted(withFace({ soundInsertMs: 3_000 }));
    await expectAccepted(withFace({ soundEndMs: 3_000, soundInsertMs: 0 }));
  });

  it('exactly one audio source: two or none are refused on audioId', async () => {
    await expectRejected(withFace({ audioId: 'tts-1' }), 'faces[0].audioId');
    await expectRejected(withFace({ soundFile: 'AAAA' }), 'faces[0].audioId');
    await expectRejected(withFace({ soundUrl: null }), 'faces[0].audioId');
    await expectRejected(withFace({ soundUrl: '' }), 'faces[0].audioId'); // an empty string is not given
  });

  it('volumes 0–2: just outside is refused, the bounds accepted', async () => {
    await expectRejected(withFace({ soundVolume: 2.01 }), 'faces[0].soundVolume');
    await expectRejected(withFace({ originalAudioVolume: -0.01 }), 'faces[0].originalAudioVolume');
    await expectAccepted(withFace({ soundVolume: 2, originalAudioVolume: 0 }));
  });

  it('times are milliseconds within 0–60,000', async () => {
    await expectRejected(withFace({ soundInsertMs: -1 }), 'faces[0].soundInsertMs');
    await expectRejected(withFace({ soundStartMs: 58_000, soundEndMs: 60_001 }), 'faces[0].soundEndMs');
  });

  it('soundFile is plain Base64 of at most 5 MB; soundUrl follows the outbound URL rules', async () => {
    const base64 = (bytes: number) => Buffer.alloc(bytes).toString('base64');
    const sound = { soundUrl: null };
    await expectRejected(withFace({ ...sound, soundFile: base64(FIVE_MB + 1) }), 'faces[0].soundFile');
    await expectRejected(withFace({ ...sound, soundFile: 'not base64!' }), 'faces[0].soundFile');
    await expectRejected(withFace({ soundUrl: 'http://127.0.0.1/a.mp3' }), 'faces[0].soundUrl');
    await expectAccepted(withFace({ ...sound, soundFile: base64(FIVE_MB) }));
  });

  it('one face per task (Kling: "currently only supports one person")', async () => {
    await expectRejected({ sessionId: session, faces: [] }, 'faces');
    await expectRejected({ sessionId: twoFaceSession, faces: [faceAudio(), faceAudio({ faceId: 'face_2' })] }, 'faces');
  });

  it('a face of another session (or none of this one) is refused on faceId', async () => {
    // face_2 exists in the two-face session only
    const message = await expectRejected(withFace({ faceId: 'face_2' }), 'faces[0].faceId');
    expect(message).toMatch(/not a face of session .* \(its faces: face_1\)/);
    await expectRejected(withFace({ faceId: 'face_9' }), 'faces[0].faceId');
    await expectAccepted({ sessionId: twoFaceSession, faces: [faceAudio({ faceId: 'face_2', soundInsertMs: 2_500 })] });
  });

  it("an unknown session, or another tenant's, is refused on sessionId", async () => {
    await expectRejected({ ...withFace({}), sessionId: 'session-unknown' }, 'sessionId');
    const betaSession = await sessionOf(beta);
    const message = await expectRejected({ ...withFace({}), sessionId: betaSession }, 'sessionId');
    expect(message).toMatch(/identify the faces first/);
  });

  it('the rest of the input: callbackUrl, idempotencyKey, sessionId', async () => {
    await expectRejected({ ...withFace({}), callbackUrl: 'https://localhost/hook' }, 'callbackUrl');
    await expectRejected({ ...withFace({}), idempotencyKey: 'k'.repeat(256) }, 'idempotencyKey');
    await expectRejected({ ...withFace({}), sessionId: '   ' }, 'sessionId');
  });

  it('identifyFaces: exactly one video source, outbound URL rules', async () => {
    await expectRejected({}, 'videoId', alpha, IDENTIFY_MUTATION);
    await expectRejected({ videoId: 'v1', videoUrl: VIDEO_URL }, 'videoId', alpha, IDENTIFY_MUTATION);
    await expectRejected({ videoUrl: 'ftp://example.com/v.mp4' }, 'videoUrl', alpha, IDENTIFY_MUTATION);
    await expectRejected({ videoUrl: 'https://10.0.0.1/v.mp4' }, 'videoUrl', alpha, IDENTIFY_MUTATION);
  });

  it('the fake enforces the same rules with Kling 1201, so the rejections above are ours', async () => {
    const post = async (body: unknown) => {
      const res = await fetch(`${t.fake.url}/v1/videos/advanced-lip-sync`, {
        method: 'POST',
        headers: { authorization: `Bearer ${FAKE_KLING_API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return ((await res.json()) as { code: number }).code;
    };
    const choice = (overrides: Record<string, unknown>) => ({
      face_id: 'face_1',
      sound_file: 'https://example.com/speech.mp3',
      sound_start_time: 0,
      sound_end_time: 3_000,
      sound_insert_time: 1_000,
      ...overrides,
    });
    const body = (overrides: Record<string, unknown>) => ({ session_id: session, face_choose: [choice(overrides)] });
    expect(await post(body({ sound_end_time: 1_999 }))).toBe(1201);
    expect(await post(body({ sound_insert_time: 3_001 }))).toBe(1201);
    expect(await post(body({ audio_id: 'a' }))).toBe(1201);
    expect(await post(body({ face_id: 'face_2' }))).toBe(1201);
    expect(await post(body({ sound_volume: 2.5 }))).toBe(1201);
    expect(await post({ ...body({}), session_id: 'unknown' })).toBe(1201);
    expect(await post({ session_id: session, face_choose: [choice({}), choice({})] })).toBe(1201);
    expect(await post(body({}))).toBe(0);
  });
});

describe('an expired face session', () => {
  let t: TestServer;
  // FACE_SESSION_TTL_HOURS=0.0003: a session lasts about 1.1 s
  beforeAll(async () => {
    t = await startTestServer({ env: { FACE_SESSION_TTL_HOURS: '0.0003' } });
  });
  afterAll(() => t.close());

  it('is refused on sessionId, with no upstream call', async () => {
    const res = await t.client.request(IDENTIFY_MUTATION, { input: { videoUrl: VIDEO_URL } });
    const { sessionId, expiresAt } = res.body.data!.identifyFaces as { sessionId: string; expiresAt: string };
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(1_080);
    await sleep(Math.max(0, Date.parse(expiresAt) - Date.now()) + 50); // the session's lifetime must pass
    const before = t.fake.requests.length;
    const created = await t.client.request(ADVANCED_MUTATION, { input: { sessionId, faces: [faceAudio()] } });
    expect(created.body.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      validationErrors: [
        { field: 'sessionId', message: expect.stringMatching(/expired at .*identify the faces again/) },
      ],
    });
    expect(t.fake.requests.length).toBe(before);
  });
});
