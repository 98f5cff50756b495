import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

type FieldErrors = Array<{ field: string; message: string }>;

describe('createLipSync input validation', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());
  afterEach(() => {
    // The rule behind every case here: invalid input never reaches the upstream.
    expect(t.fake.count('create')).toBe(0);
  });

  async function rejected(input: Record<string, unknown>): Promise<FieldErrors> {
    const res = await t.client.request(CREATE_MUTATION, { input });
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    const error = res.body.errors![0];
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    return error.extensions!.validationErrors as FieldErrors;
  }

  const fieldsOf = (errors: FieldErrors) => errors.map((e) => e.field).sort();

  it.each([
    ['both video sources', { ...TEXT_INPUT, videoId: '123' }, 'videoId', /only one of videoId or videoUrl/],
    ['neither video source', { ...TEXT_INPUT, videoUrl: undefined }, 'videoId', /exactly one of videoId or videoUrl/],
    ['an empty videoUrl and no videoId', { ...TEXT_INPUT, videoUrl: '' }, 'videoId', /exactly one/],
    ['a non-http videoUrl', { ...TEXT_INPUT, videoUrl: 'ftp://example.com/a.mp4' }, 'videoUrl', /https URL/],
    ['a relative videoUrl', { ...TEXT_INPUT, videoUrl: '/a.mp4' }, 'videoUrl', /https URL/],
    ['text and audio together', { ...TEXT_INPUT, audioUrl: 'https://example.com/a.mp3' }, 'mode', /not both/],
    ['no speech at all', { videoUrl: TEXT_INPUT.videoUrl }, 'mode', /cannot be inferred/],
    [
      'audio mode with both audio sources',
      { videoUrl: TEXT_INPUT.videoUrl, audioUrl: 'https://e.com/a.mp3', audioFile: 'AAAA' },
      'audioUrl',
      /only one of audioUrl or audioFile/,
    ],
    [
      'audio mode with no audio',
      { videoUrl: TEXT_INPUT.videoUrl, mode: 'AUDIO_TO_VIDEO' },
      'audioUrl',
      /exactly one of audioUrl or audioFile/,
    ],
    [
      'audio mode with text fields',
      {
        ...TEXT_INPUT,
        mode: 'AUDIO_TO_VIDEO',
        text: undefined,
        voiceId: undefined,
        voiceLanguage: undefined,
        voiceSpeed: 1,
        audioUrl: 'https://e.com/a.mp3',
      },
      'voiceSpeed',
      /only allowed in TEXT_TO_VIDEO/,
    ],
    [
      'text mode with audio',
      { ...TEXT_INPUT, mode: 'TEXT_TO_VIDEO', audioUrl: 'https://e.com/a.mp3' },
      'audioUrl',
      /only allowed in AUDIO_TO_VIDEO/,
    ],
    ['a blank text', { ...TEXT_INPUT, text: '   ' }, 'text', /blank/],
    ['an empty text counts as missing', { ...TEXT_INPUT, text: '' }, 'text', /required in TEXT_TO_VIDEO/],
    ['no voiceId', { ...TEXT_INPUT, voiceId: undefined }, 'voiceId', /required/],
    ['no voiceLanguage', { ...TEXT_INPUT, voiceLanguage: undefined }, 'voiceLanguage', /required/],
    [
      'a data: URI as audioFile',
      { videoUrl: TEXT_INPUT.videoUrl, audioFile: 'data:audio/mp3;base64,AAAA' },
      'audioFile',
      /plain Base64/,
    ],
    [
      'audioFile that is not Base64',
      { videoUrl: TEXT_INPUT.videoUrl, audioFile: 'not base64!' },
      'audioFile',
      /valid Base64/,
    ],
    ['a non-http callbackUrl', { ...TEXT_INPUT, callbackUrl: 'javascript:alert(1)' }, 'callbackUrl', /https URL/],
  ])('rejects %s', async (_name, input, field, message) => {
    const errors = await rejected(input);
    const error = errors.find((e) => e.field === field);
    expect(error).toBeDefined();
    expect(error!.message).toMatch(message);
  });

  describe('limits at their edges', () => {
    const accepted = async (input: Record<string, unknown>) => {
      // Accepted inputs do reach the upstream; reset the count the afterEach checks.
      const res = await t.client.request(CREATE_MUTATION, { input });
      expect(res.body.errors).toBeUndefined();
      t.fake.reset();
    };

    it('text: 120 characters pass, 121 fail (counted as characters, so CJK counts one each)', async () => {
      await accepted({ ...TEXT_INPUT, text: 'a'.repeat(120) });
      await accepted({ ...TEXT_INPUT, text: '今'.repeat(120), voiceLanguage: 'ZH', voiceId: 'ai_kaiya' });
      expect(await rejected({ ...TEXT_INPUT, text: 'a'.repeat(121) })).toEqual([
        { field: 'text', message: expect.stringMatching(/at most 120 characters \(got 121\)/) },
      ]);
      expect(fieldsOf(await rejected({ ...TEXT_INPUT, text: '今'.repeat(121) }))).toEqual(['text']);
    });

    it('voiceSpeed: 0.8 and 2.0 pass, 0.79 and 2.01 fail', async () => {
      await accepted({ ...TEXT_INPUT, voiceSpeed: 0.8 });
      await accepted({ ...TEXT_INPUT, voiceSpeed: 2.0 });
      expect(fieldsOf(await rejected({ ...TEXT_INPUT, voiceSpeed: 0.79 }))).toEqual(['voiceSpeed']);
      expect(fieldsOf(await rejected({ ...TEXT_INPUT, voiceSpeed: 2.01 }))).toEqual(['voiceSpeed']);
    });

    it('audioFile: 5 MB decoded passes, one byte more fails', async () => {
      const fiveMb = 5 * 1024 * 1024;
      const input = { videoUrl: TEXT_INPUT.videoUrl };
      await accepted({ ...input, audioFile: Buffer.alloc(fiveMb, 1).toString('base64') });
      const errors = await rejected({ ...input, audioFile: Buffer.alloc(fiveMb + 1, 1).toString('base64') });
      expect(errors).toEqual([{ field: 'audioFile', message: expect.stringMatching(/at most 5 MB decoded/) }]);
    });

    it('idempotencyKey: 255 characters pass, 256 fail', async () => {
      await accepted({ ...TEXT_INPUT, idempotencyKey: 'k'.repeat(255) });
      expect(fieldsOf(await rejected({ ...TEXT_INPUT, idempotencyKey: 'k'.repeat(256) }))).toEqual(['idempotencyKey']);
    });
  });

  it('names every failing field at once', async () => {
    const errors = await rejected({
      videoId: '1',
      videoUrl: 'https://example.com/a.mp4',
      text: 'x'.repeat(200),
      voiceId: 'genshin_vindi2',
      voiceLanguage: 'EN',
      voiceSpeed: 9,
      callbackUrl: 'nope',
    });
    expect(fieldsOf(errors)).toEqual(['callbackUrl', 'text', 'videoId', 'voiceSpeed']);
  });

  it('reports a wrongly typed variable as BAD_USER_INPUT naming the field', async () => {
    const res = await t.client.request(CREATE_MUTATION, { input: { ...TEXT_INPUT, voiceSpeed: 'fast' } });
    expect(res.status).toBe(400);
    const error = res.body.errors![0];
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.extensions?.validationErrors).toEqual([{ field: 'input.voiceSpeed', message: expect.any(String) }]);
  });

  it('rejects a page size over 100 on lipSyncTasks', async () => {
    const res = await t.client.request('{ lipSyncTasks(first: 101) { edges { cursor } } }');
    expect(res.body.errors![0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      validationErrors: [{ field: 'first', message: expect.stringMatching(/between 0 and 100/) }],
    });
  });

  it('rejects a malformed cursor', async () => {
    const res = await t.client.request('{ lipSyncTasks(after: "garbage") { edges { cursor } } }');
    expect(res.body.errors![0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      validationErrors: [{ field: 'after' }],
    });
  });

  it('turns an invalid operation into BAD_USER_INPUT, keeping the GraphQL reason', async () => {
    const res = await t.client.request('{ lipSyncTask { id } }');
    expect(res.status).toBe(400);
    expect(res.body.errors![0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'GRAPHQL_VALIDATION_FAILED',
    });
  });
});
