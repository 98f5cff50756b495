import { ADVANCED_MUTATION, IDENTIFY_MUTATION, VIDEO_URL, faceAudio } from '../support/advancedOperations';
import { startTestServer, type TestServer } from '../support/testServer';
import { waitFor } from '../support/waitFor';

/**
 * The queue keeps the create input with its kind (docs/architecture.md, "The queue dispatcher"): an advanced task
 * that waits for a Kling slot is sent later, by the dispatcher, to the advanced endpoint with its own body.
 */
describe('advanced lip-sync through the queue', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      fake: { processingAfterMs: 300, succeedAfterMs: 1_000 },
      env: { KLING_MAX_CONCURRENT_TASKS: '1' },
    });
  });
  afterAll(() => t.close());

  it('a QUEUED advanced task is submitted from its stored request when the slot frees, and succeeds', async () => {
    const identified = await t.client.request(IDENTIFY_MUTATION, { input: { videoUrl: VIDEO_URL } });
    const { sessionId } = identified.body.data!.identifyFaces as { sessionId: string };
    const first = await t.client.request(ADVANCED_MUTATION, { input: { sessionId, faces: [faceAudio()] } });
    expect(first.body.data!.createAdvancedLipSync.status).toBe('SUBMITTED');
    const faces = [faceAudio({ soundUrl: null, audioId: 'tts-queued', soundInsertMs: 1_500, soundVolume: 0.5 })];
    const second = await t.client.request(ADVANCED_MUTATION, { input: { sessionId, faces, watermark: true } });
    const queued = second.body.data!.createAdvancedLipSync as { id: string; status: string; kind: string };
    expect(queued).toMatchObject({ status: 'QUEUED', kind: 'ADVANCED' });
    expect(t.fake.count('advanced_create')).toBe(1);

    await waitFor(
      'the queued task to succeed',
      async () => (await t.server.store.getById(queued.id))?.state === 'succeeded',
      15_000,
      100,
    );
    const sent = t.fake.requests.filter((r) => r.endpoint === 'advanced_create').map((r) => r.body);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual({
      session_id: sessionId,
      face_choose: [
        {
          face_id: 'face_1',
          audio_id: 'tts-queued',
          sound_start_time: 0,
          sound_end_time: 3_000,
          sound_insert_time: 1_500,
          sound_volume: 0.5,
          original_audio_volume: 1,
        },
      ],
      watermark_info: { enabled: true },
      external_task_id: queued.id,
    });
    expect(t.fake.count('create')).toBe(0);
    const stored = await t.server.store.getById(queued.id);
    expect(stored).toMatchObject({ kind: 'ADVANCED', mode: null, face: { id: 'face_1' } });
    expect(stored!.videos[0].watermarkUrl).toMatch(/-wm\.mp4$/);
  });
});
