import { describe, expect, it } from '@jest/globals';
import { UpstreamError } from '../../src/errors';
import { createKlingApi } from '../../src/upstream';
import { SimulatedKling } from '../../src/upstream/SimulatedKling';
import { UUID, textToVideoBody, upstreamFailure } from './support';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SimulatedKling', () => {
  it('runs a task through its whole life in real time', async () => {
    const kling = new SimulatedKling({ processingAfterMs: 30, succeedAfterMs: 80 });
    const created = await kling.createLipSync(textToVideoBody({}, 'rec-1'));
    expect(created.requestId).toMatch(UUID);
    expect(created.data.task_status).toBe('submitted');

    await sleep(40);
    expect((await kling.getLipSync(created.data.task_id)).data.task_status).toBe('processing');

    await sleep(50);
    const done = await kling.getLipSync(created.data.task_id);
    expect(done.data.task_status).toBe('succeed');
    expect(done.data.task_result?.videos).toHaveLength(1);
    expect(done.requestId).not.toBe(created.requestId);

    expect((await kling.listLipSync(1, 10)).data.map((t) => t.task_id)).toEqual([created.data.task_id]);
    await kling.close();
  });

  it('fails like the real client: 1201 is BAD_USER_INPUT, unknown tasks NOT_FOUND', async () => {
    const kling = new SimulatedKling();
    const invalid = await upstreamFailure(kling.createLipSync(textToVideoBody({ voice_speed: 3 })));
    expect(invalid.code).toBe('BAD_USER_INPUT');
    expect(invalid.upstream).toEqual({ httpStatus: 400, code: 1201, message: expect.stringContaining('voice_speed'), requestId: expect.stringMatching(UUID) });
    expect([invalid.retryable, invalid.outcomeUnknown]).toEqual([false, false]);

    const unknown = await upstreamFailure(kling.getLipSync('817067112967086149'));
    expect([unknown.code, unknown.upstream.code, unknown.upstream.httpStatus]).toEqual(['NOT_FOUND', 1203, 404]);
  });
});

describe('createKlingApi', () => {
  const config = { timeoutMs: 1000, rateLimitRps: 10, maxSockets: 4 };

  it('builds the simulated upstream when no base URL is configured', async () => {
    const api = createKlingApi({ ...config, baseUrl: null, auth: null });
    expect(api.kind).toBe('simulated');
    await api.close();
  });

  it('builds the HTTP client when a base URL is configured', async () => {
    const api = createKlingApi({ ...config, baseUrl: 'https://api-singapore.klingai.com', auth: { kind: 'apiKey', apiKey: 'k' } });
    expect(api.kind).toBe('http');
    await api.close();
  });

  it('keeps UpstreamError as the only failure type', async () => {
    const api = createKlingApi({ ...config, baseUrl: null, auth: null });
    await expect(api.getLipSync('1')).rejects.toBeInstanceOf(UpstreamError);
  });
});
