import { describe, expect, it } from '@jest/globals';
import { startFakeKling } from '../support/fakeKling';
import { clientFor, textToVideoBody } from './support';

type Envelope = { code: number };

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
});
