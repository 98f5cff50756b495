import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeKling, type FakeKling } from '../support/fakeKling';
import { audioToVideoBody, clientFor, textToVideoBody } from './support';

type Envelope = { code: number; message?: string; request_id?: string; data?: any };

/** The fake's own promises, which many test files (and benchmarks) rely on. Raw requests use Node's global fetch. */
describe('fake Kling', () => {
  it('answers Kling envelopes for auth failures and unknown paths', async () => {
    const fake = await startFakeKling({ prefix: '/kling' });
    try {
      const noAuth = await fetch(`${fake.url}/v1/videos/lip-sync/1`);
      expect(noAuth.status).toBe(401);
      expect(await noAuth.json()).toMatchObject({ code: 1001, request_id: expect.any(String) });

      const auth = { authorization: `Bearer ${fake.auth.kind === 'apiKey' ? fake.auth.apiKey : ''}` };
      const wrongPath = await fetch(fake.url.replace(/\/kling$/, '/v1/videos/lip-sync'), { headers: auth });
      expect([wrongPath.status, ((await wrongPath.json()) as Envelope).code]).toEqual([404, 1202]);

      const badJson = await fetch(`${fake.url}/v1/videos/lip-sync`, { method: 'POST', headers: auth, body: '{oops' });
      expect([badJson.status, ((await badJson.json()) as Envelope).code]).toEqual([400, 1200]);
      expect(fake.requests[2].body).toBe('{oops');
    } finally {
      await fake.close();
    }
  });

  it('can count without recording, and forgets everything on reset', async () => {
    const fake = await startFakeKling({ recordRequests: false });
    const client = clientFor(fake);
    try {
      await client.createLipSync(textToVideoBody());
      expect([fake.count('create'), fake.requests.length, fake.tasks.size]).toEqual([1, 0, 1]);

      fake.inject({ code: 5001 }, { times: Infinity });
      fake.reset();
      await client.listLipSync(1, 30);
      expect([fake.count('create'), fake.count('list'), fake.tasks.size]).toEqual([0, 1, 0]);
    } finally {
      await client.close();
      await fake.close();
    }
  });

  it('closes promptly even with an answer hanging', async () => {
    const fake = await startFakeKling();
    const client = clientFor(fake, { timeoutMs: 5_000 });
    fake.inject({ hang: true });
    const pending = client.createLipSync(textToVideoBody()).catch((error: Error) => error);
    while (fake.count('create') === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    const started = Date.now();
    await fake.close();
    expect(Date.now() - started).toBeLessThan(3_000); // slack for a loaded machine, still below the client's 5 s timeout
    expect(await pending).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', outcomeUnknown: true });
    await client.close();
  });

  describe('speaks Kling as docs/kling.md describes it', () => {
    let fake: FakeKling;
    let call: (path: string, init?: RequestInit) => Promise<{ status: number; text: string; json: () => Envelope }>;
    beforeAll(async () => {
      fake = await startFakeKling({ prefix: '/kling' });
      const authorization = `Bearer ${fake.auth.kind === 'apiKey' ? fake.auth.apiKey : ''}`;
      call = async (path, init = {}) => {
        const res = await fetch(`${fake.url}/v1/videos/lip-sync${path}`, {
          ...init,
          headers: { authorization, 'content-type': 'application/json' },
        });
        const text = await res.text();
        return { status: res.status, text, json: () => JSON.parse(text) as Envelope };
      };
    });
    afterEach(() => fake.reset());
    afterAll(() => fake.close());
    const post = (body: unknown) => call('', { method: 'POST', body: JSON.stringify(body) });
    const textBody = (externalTaskId?: string) => textToVideoBody({}, externalTaskId);

    it('validates create bodies with 1200 (no request) and 1201 (bad value), booking nothing', async () => {
      const cases: Array<[unknown, number]> = [
        [{}, 1200],
        [{ input: 'x' }, 1200],
        [textToVideoBody({ video_id: '817067112967086149' }), 1201],
        [textToVideoBody({ video_url: undefined }), 1201],
        [textToVideoBody({ text: 'x'.repeat(121) }), 1201],
        [textToVideoBody({ voice_language: 'fr' as 'en' }), 1201],
        [textToVideoBody({ voice_speed: 2.5 }), 1201],
        [textToVideoBody({ mode: 'pro' as 'text2video' }), 1201],
        [audioToVideoBody({ audio_type: 'file' }), 1201],
        [{ ...textBody(), callback_url: '' }, 1201],
      ];
      for (const [body, code] of cases) {
        const res = await post(body);
        expect([res.status, res.json().code]).toEqual([400, code]);
      }
      expect(fake.tasks.size).toBe(0);
    });

    it('answers ids as 18-digit strings, echoes external_task_id and refuses to reuse it', async () => {
      const created = await post(textBody('rec-echo'));
      expect(created.text).toMatch(/"task_id":"\d{18}"/);
      const task = created.json().data;
      expect(task).toMatchObject({ task_status: 'submitted', task_info: { external_task_id: 'rec-echo' } });
      expect((await call(`/${task.task_id}`)).json().data.task_info.external_task_id).toBe('rec-echo');
      expect((await post(textBody('rec-echo'))).json().code).toBe(1201);
      expect((await call('/817067112967086149')).json().code).toBe(1203);
    });

    it('lists newest first within pageNum 1–1000 and pageSize 1–500', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await post(textBody(`rec-${i}`))).json().data.task_id);
      expect((await call('?pageNum=1&pageSize=2')).json().data.map((t: { task_id: string }) => t.task_id)).toEqual([
        ids[2],
        ids[1],
      ]);
      expect((await call('?pageNum=2&pageSize=2')).json().data.map((t: { task_id: string }) => t.task_id)).toEqual([
        ids[0],
      ]);
      for (const query of [
        '?pageNum=0&pageSize=30',
        '?pageNum=1001&pageSize=30',
        '?pageNum=1&pageSize=0',
        '?pageNum=1&pageSize=501',
      ]) {
        expect((await call(query)).json().code).toBe(1201);
      }
    });

    it('shows a task in the list only after the visibility delay; reset clears the delay', async () => {
      fake.setListVisibilityDelay(60_000);
      const { task_id: id } = (await post(textBody('rec-late'))).json().data;
      expect((await call('')).json().data).toEqual([]);
      expect((await call(`/${id}`)).json().data.task_id).toBe(id);
      expect(fake.tasks.allTasks().map((t) => t.task_id)).toEqual([id]);
      fake.reset();
      const again = (await post(textBody('rec-now'))).json().data.task_id;
      expect((await call('')).json().data.map((t: { task_id: string }) => t.task_id)).toEqual([again]);
    });

    it('spoils answers on demand: malformed JSON, data missing, unknown status, another task', async () => {
      fake.inject({ malformedJson: true }, { endpoint: 'create' });
      const malformed = await post(textBody('rec-a'));
      expect(malformed.status).toBe(200);
      expect(() => malformed.json()).toThrow();
      expect(fake.tasks.size).toBe(1); // the work was done; only the answer broke

      const { task_id: id } = (await post(textBody('rec-b'))).json().data;
      fake.inject({ dataMissing: true }, { endpoint: 'get' });
      expect((await call(`/${id}`)).json()).toEqual({ code: 0, message: 'SUCCEED', request_id: expect.any(String) });

      fake.inject({ unknownStatus: true }, { endpoint: 'get' });
      expect((await call(`/${id}`)).json().data).toMatchObject({ task_id: id, task_status: 'paused_for_review' });

      fake.inject({ mismatchedTaskId: true }, { endpoint: 'get' });
      const other = (await call(`/${id}`)).json().data;
      expect(other.task_id).toMatch(/^\d{18}$/);
      expect([other.task_id, other.task_info.external_task_id]).not.toEqual([id, 'rec-b']);

      fake.inject({ mismatchedTaskId: true }, { endpoint: 'list' });
      const [first, second] = (await call('')).json().data;
      expect(first.task_id).toBe(second.task_id);
      expect(first.task_info.external_task_id).toBe('rec-b');
    });
  });
});
