import jwt from 'jsonwebtoken';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

describe('createLipSync with a static API key (aggregator style)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ fake: { apiKey: 'agg-key-123', prefix: '/kling' } });
  });
  afterAll(() => t.close());

  it('submits the contract body to POST {base}/v1/videos/lip-sync and returns a SUBMITTED task', async () => {
    const res = await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    const task = res.body.data!.createLipSync;
    expect(task).toMatchObject({ status: 'SUBMITTED', mode: 'TEXT_TO_VIDEO', videos: [] });
    expect(task.klingTaskId).toMatch(/^\d+$/); // Kling's task_id
    expect(task.queuePosition).toBeNull();
    expect(typeof task.upstreamRequestId).toBe('string');
    expect(new Date(task.createdAt).toISOString()).toBe(task.createdAt);

    const sent = t.fake.requests.filter((r) => r.endpoint === 'create');
    expect(sent).toHaveLength(1);
    expect(sent[0].method).toBe('POST');
    expect(sent[0].path).toBe('/kling/v1/videos/lip-sync');
    expect(sent[0].headers['content-type']).toBe('application/json');
    expect(sent[0].headers.accept).toBe('application/json');
    expect(sent[0].headers.authorization).toBe('Bearer agg-key-123');
    const body = sent[0].body as { input: unknown; external_task_id: string };
    expect(body.input).toEqual({
      video_url: 'https://example.com/talking-head.mp4',
      mode: 'text2video',
      text: 'Hello there',
      voice_id: 'genshin_vindi2',
      voice_language: 'en',
    });
    expect(body.external_task_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.external_task_id).toBe(task.id); // our own id is what Kling echoes back
    expect(Object.keys(body).sort()).toEqual(['external_task_id', 'input']);
  });

  it('sends video_id (never an empty video_url) and voice_speed, and never a client callbackUrl', async () => {
    const res = await t.client.request(CREATE_MUTATION, {
      input: {
        ...TEXT_INPUT,
        videoUrl: '',
        videoId: '827964097668337738',
        voiceLanguage: 'ZH',
        voiceId: 'girlfriend_1_speech02',
        voiceSpeed: 1.5,
        callbackUrl: 'https://client.example/hooks/kling',
      },
    });
    expect(res.body.errors).toBeUndefined();
    const body = t.fake.requests.filter((r) => r.endpoint === 'create').at(-1)!.body as Record<string, any>;
    expect(body.input).toEqual({
      video_id: '827964097668337738',
      mode: 'text2video',
      text: 'Hello there',
      voice_id: 'girlfriend_1_speech02',
      voice_language: 'zh',
      voice_speed: 1.5,
    });
    expect(JSON.stringify(body)).not.toContain('client.example'); // the client's URL is ours to call (webhooks), not Kling's
    expect(body.callback_url).toBeUndefined();
  });

  it('infers AUDIO_TO_VIDEO from audioUrl and sends audio_type url', async () => {
    const res = await t.client.request(CREATE_MUTATION, {
      input: { videoUrl: 'https://example.com/v.mp4', audioUrl: 'https://example.com/speech.mp3' },
    });
    expect(res.body.data!.createLipSync.mode).toBe('AUDIO_TO_VIDEO');
    const body = t.fake.requests.filter((r) => r.endpoint === 'create').at(-1)!.body as Record<string, any>;
    expect(body.input).toEqual({
      video_url: 'https://example.com/v.mp4',
      mode: 'audio2video',
      audio_type: 'url',
      audio_url: 'https://example.com/speech.mp3',
    });
  });

  it('sends a Base64 audioFile as audio_type file', async () => {
    const audioFile = Buffer.from('ID3 fake mp3 bytes').toString('base64');
    const res = await t.client.request(CREATE_MUTATION, {
      input: { videoId: '827964097668337738', mode: 'AUDIO_TO_VIDEO', audioFile },
    });
    expect(res.body.errors).toBeUndefined();
    const body = t.fake.requests.filter((r) => r.endpoint === 'create').at(-1)!.body as Record<string, any>;
    expect(body.input).toEqual({
      video_id: '827964097668337738',
      mode: 'audio2video',
      audio_type: 'file',
      audio_file: audioFile,
    });
  });

  it('warns (extensions.warnings) when the voice is not in the catalogue for its language, but still creates', async () => {
    const res = await t.client.request(CREATE_MUTATION, { input: { ...TEXT_INPUT, voiceId: 'brand_new_voice' } });
    expect(res.body.data!.createLipSync.status).toBe('SUBMITTED');
    expect(res.body.extensions?.warnings).toEqual([expect.stringContaining('brand_new_voice')]);
  });

  it('does not warn for a catalogue voice', async () => {
    const res = await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
    expect(res.body.extensions?.warnings).toBeUndefined();
  });

  it('lists the voice catalogue, filtered by language', async () => {
    const res = await t.client.request('{ en: voices(language: EN) { id language name } all: voices { id } }');
    expect(res.body.data!.en.length).toBeGreaterThan(20);
    expect(res.body.data!.en.every((v: { language: string }) => v.language === 'EN')).toBe(true);
    expect(res.body.data!.en).toContainEqual({ id: 'AOT', language: 'EN', name: expect.any(String) });
    expect(res.body.data!.all.length).toBeGreaterThan(res.body.data!.en.length);
  });
});

describe('createLipSync with Kling access/secret keys (signed JWT)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ fake: { accessKey: 'ak-test', secretKey: 'sk-test-secret' } });
  });
  afterAll(() => t.close());

  it('signs an HS256 JWT (iss = access key, exp = now+1800, nbf = now-5) and reuses it', async () => {
    const first = await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
    const second = await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
    expect(first.body.errors).toBeUndefined();
    expect(second.body.errors).toBeUndefined();
    const [a, b] = t.fake.requests.filter((r) => r.endpoint === 'create').map((r) => String(r.headers.authorization));
    expect(a).toBe(b);
    const token = a.replace(/^Bearer /, '');
    const decoded = jwt.decode(token, { complete: true })!;
    expect(decoded.header).toMatchObject({ alg: 'HS256', typ: 'JWT' });
    const claims = decoded.payload as { iss: string; exp: number; nbf: number };
    const now = Math.floor(Date.now() / 1000);
    expect(claims.iss).toBe('ak-test');
    expect(claims.exp - now).toBeGreaterThan(1790);
    expect(claims.exp - now).toBeLessThanOrEqual(1800);
    expect(now - claims.nbf).toBeGreaterThanOrEqual(5);
    expect(() => jwt.verify(token, 'sk-test-secret')).not.toThrow();
  });

  it('never shows the secret key or the JWT in the log', async () => {
    await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
    const token = String(t.fake.requests.find((r) => r.endpoint === 'create')!.headers.authorization).replace(
      'Bearer ',
      '',
    );
    expect(t.logs()).not.toContain('sk-test-secret');
    expect(t.logs()).not.toContain(token);
  });
});
