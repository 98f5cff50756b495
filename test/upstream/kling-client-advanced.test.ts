import { beforeAll, describe, expect, it } from '@jest/globals';
import { ErrorCode } from '../../src/errors';
import type { KlingClient } from '../../src/upstream/KlingClient';
import type { FakeKling } from '../support/fakeKling';
import { clientFor, upstreamFailure, useFakeWithClient } from './support';

const CHOICE = {
  face_id: 'face_1',
  sound_file: 'https://example.com/hello.mp3',
  sound_start_time: 0,
  sound_end_time: 3_000,
  sound_insert_time: 1_000,
};

/** The client's second endpoint family and identify-face, against the HTTP fake (docs/kling.md, "Advanced lip-sync"). */
describe('KlingClient: advanced lip-sync', () => {
  const setup = useFakeWithClient();
  let fake: FakeKling;
  let client: KlingClient;
  beforeAll(() => {
    fake = setup.fake;
    client = setup.client;
  });

  it('identifies faces, then creates, gets and lists in the advanced family', async () => {
    const identified = await client.identifyFace({ video_url: 'https://example.com/v.mp4' });
    expect(identified.data).toMatchObject({ session_id: expect.any(String), final_unit_deduction: '0.5' });
    const body = { session_id: identified.data.session_id, face_choose: [CHOICE], external_task_id: 'rec-a' };
    const created = await client.createAdvancedLipSync(body);
    expect(created.data.task_info?.external_task_id).toBe('rec-a');
    const got = await client.getLipSync(created.data.task_id, 'ADVANCED');
    const listed = await client.listLipSync(1, 5, 'ADVANCED');
    expect(got.data.task_id).toBe(created.data.task_id);
    expect(listed.data.map((t) => t.task_id)).toEqual([created.data.task_id]);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/videos/identify-face',
      'POST /v1/videos/advanced-lip-sync',
      `GET /v1/videos/advanced-lip-sync/${created.data.task_id}`,
      'GET /v1/videos/advanced-lip-sync?pageNum=1&pageSize=5',
    ]);
    expect(fake.requests[1].body).toEqual(body);
  });

  it('never re-sends an identification whose outcome is unknown (it may have been billed), but does after 5001', async () => {
    const quick = clientFor(fake, { timeoutMs: 200 });
    try {
      fake.inject({ hang: true }, { endpoint: 'identify_face' });
      const timedOut = await upstreamFailure(quick.identifyFace({ video_url: 'https://example.com/v.mp4' }));
      expect(timedOut.code).toBe(ErrorCode.UPSTREAM_TIMEOUT);
      expect(fake.count('identify_face')).toBe(1);
      fake.inject({ code: 5001 }, { endpoint: 'identify_face' });
      await quick.identifyFace({ video_url: 'https://example.com/v.mp4' });
      expect(fake.count('identify_face')).toBe(3);
    } finally {
      await quick.close();
    }
  });

  it('refuses an identify-face answer it cannot trust, and does not ask again (it may have been billed)', async () => {
    fake.inject({ dataMissing: true }, { endpoint: 'identify_face' });
    const failure = await upstreamFailure(client.identifyFace({ video_url: 'https://example.com/v.mp4' }));
    expect(failure.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(failure.outcomeUnknown).toBe(true);
    expect(fake.count('identify_face')).toBe(1);
  });

  it("passes Kling's refusal of an advanced body through with its code", async () => {
    const { data } = await client.identifyFace({ video_url: 'https://example.com/v.mp4' });
    const failure = await upstreamFailure(
      client.createAdvancedLipSync({
        session_id: data.session_id,
        face_choose: [{ ...CHOICE, sound_end_time: 1_999 }],
      }),
    );
    expect(failure.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(failure.upstream.code).toBe(1201);
  });
});
