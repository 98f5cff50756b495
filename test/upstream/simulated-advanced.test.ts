import { describe, expect, it } from '@jest/globals';
import { UpstreamError } from '../../src/errors';
import type { KlingAdvancedCreateBody } from '../../src/upstream/kling.types';
import { SimulatedKling } from '../../src/upstream/SimulatedKling';

const VIDEO = 'https://example.com/talking-head.mp4';

function body(
  sessionId: string,
  overrides: Record<string, unknown> = {},
  extra: Partial<KlingAdvancedCreateBody> = {},
) {
  return {
    session_id: sessionId,
    face_choose: [
      {
        face_id: 'face_1',
        sound_file: 'https://example.com/hello.mp3',
        sound_start_time: 0,
        sound_end_time: 3_000,
        sound_insert_time: 1_000,
        ...overrides,
      },
    ],
    external_task_id: `rec-${Math.random()}`,
    ...extra,
  } as KlingAdvancedCreateBody;
}

async function code(promise: Promise<unknown>): Promise<number | null> {
  try {
    await promise;
    return 0;
  } catch (error) {
    return error instanceof UpstreamError ? error.upstream.code : null;
  }
}

/** The zero-config upstream speaks advanced lip-sync as README's "Advanced lip-sync" says (docs/kling.md). */
describe('SimulatedKling: identify-face and advanced lip-sync', () => {
  it('finds one face, two in a video named two-faces, none in one named no-face', async () => {
    const kling = new SimulatedKling();
    const one = await kling.identifyFace({ video_url: VIDEO });
    expect(one.data.face_data.map((f) => [f.face_id, f.start_time, f.end_time])).toEqual([['face_1', 1_000, 5_000]]);
    expect(one.data.final_unit_deduction).toEqual(expect.any(String));
    const two = await kling.identifyFace({ video_id: 'two-faces-video' });
    expect(two.data.face_data.map((f) => f.face_id)).toEqual(['face_1', 'face_2']);
    expect((await kling.identifyFace({ video_url: 'https://example.com/no-face.mp4' })).data.face_data).toEqual([]);
    expect(await code(kling.identifyFace({}))).toBe(1201);
  });

  it("refuses what Kling refuses with 1201, and runs an accepted task in its own family's list", async () => {
    const kling = new SimulatedKling({ processingAfterMs: 10, succeedAfterMs: 20 });
    const { session_id: session } = (await kling.identifyFace({ video_url: VIDEO })).data;
    expect(await code(kling.createAdvancedLipSync(body('unknown')))).toBe(1201);
    expect(await code(kling.createAdvancedLipSync(body(session, { sound_end_time: 1_999 })))).toBe(1201);
    expect(await code(kling.createAdvancedLipSync(body(session, { sound_insert_time: 3_001 })))).toBe(1201);
    expect(await code(kling.createAdvancedLipSync(body(session, { face_id: 'face_2' })))).toBe(1201);
    expect(await code(kling.createAdvancedLipSync(body(session, { audio_id: 'a' })))).toBe(1201);
    expect(await code(kling.createAdvancedLipSync(body(session, { sound_volume: 3 })))).toBe(1201);

    const created = await kling.createAdvancedLipSync(body(session, {}, { watermark_info: { enabled: true } }));
    expect(created.data.task_status).toBe('submitted');
    expect((await kling.listLipSync(1, 10, 'ADVANCED')).data.map((t) => t.task_id)).toEqual([created.data.task_id]);
    expect((await kling.listLipSync(1, 10)).data).toEqual([]);
    expect(await code(kling.getLipSync(created.data.task_id))).toBe(1203);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const done = await kling.getLipSync(created.data.task_id, 'ADVANCED');
    expect(done.data.task_status).toBe('succeed');
    expect(done.data.task_result?.videos?.[0].watermark_url).toMatch(/-watermarked\.mp4$/);
  });
});
