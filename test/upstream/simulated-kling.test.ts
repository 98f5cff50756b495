import { describe, expect, it } from '@jest/globals';
import { UpstreamError } from '../../src/errors';
import { createKlingApi } from '../../src/upstream';
import { SimulatedKling } from '../../src/upstream/SimulatedKling';
import { UUID, textToVideoBody, upstreamFailure } from './support';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The statuses one task reports from creation until it succeeds, each with the real-time span it was read in. */
async function readUntilDone(kling: SimulatedKling, taskId: string) {
  const reads: Array<{ status: string; notBefore: number; notAfter: number }> = [];
  for (;;) {
    const notBefore = performance.now();
    const { data } = await kling.getLipSync(taskId);
    reads.push({ status: data.task_status, notBefore, notAfter: performance.now() });
    if (data.task_status === 'succeed' || reads.length > 1_000) return { reads, last: data };
    await sleep(5);
  }
}

describe('SimulatedKling', () => {
  it('runs a task through its whole life in real time', async () => {
    // Read every few ms from creation to success; a wide processing window (50 → 550 ms) so reads land in it.
    const kling = new SimulatedKling({ processingAfterMs: 50, succeedAfterMs: 550 });
    const beforeCreate = performance.now();
    const created = await kling.createLipSync(textToVideoBody({}, 'rec-1'));
    const afterCreate = performance.now();
    expect(created.requestId).toMatch(UUID);
    expect(created.data.task_status).toBe('submitted');

    const { reads, last } = await readUntilDone(kling, created.data.task_id);
    const steps = reads.map((r) => ['submitted', 'processing', 'succeed'].indexOf(r.status));
    expect(steps).toEqual([...steps].sort()); // known statuses only, never going back
    // Each status agrees with the task's age while it was read, however late the reads ran: a read that began
    // before a threshold (counted from after the create) cannot show the next status, one that ended after it
    // (counted from before the create) cannot show the previous one. 1 ms for clock rounding. With reads every
    // few ms, those inside the 500 ms window can only be "processing".
    for (const { status, notBefore, notAfter } of reads) {
      const ageAtLeast = notBefore - afterCreate - 1;
      const ageAtMost = notAfter - beforeCreate + 1;
      if (status === 'submitted') expect(ageAtLeast).toBeLessThan(50);
      if (status === 'processing') expect([ageAtMost >= 50, ageAtLeast < 550]).toEqual([true, true]);
      if (status === 'succeed') expect(ageAtMost).toBeGreaterThanOrEqual(550);
    }
    const done = await kling.getLipSync(created.data.task_id);
    expect(last.task_result?.videos).toHaveLength(1);
    expect(done.requestId).not.toBe(created.requestId);

    expect((await kling.listLipSync(1, 10)).data.map((t) => t.task_id)).toEqual([created.data.task_id]);
    await kling.close();
  });

  it('fails like the real client: 1201 is BAD_USER_INPUT, unknown tasks NOT_FOUND', async () => {
    const kling = new SimulatedKling();
    const invalid = await upstreamFailure(kling.createLipSync(textToVideoBody({ voice_speed: 3 })));
    expect(invalid.code).toBe('BAD_USER_INPUT');
    expect(invalid.upstream).toEqual({
      httpStatus: 400,
      code: 1201,
      message: expect.stringContaining('voice_speed'),
      requestId: expect.stringMatching(UUID),
    });
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
    const api = createKlingApi({
      ...config,
      baseUrl: 'https://api-singapore.klingai.com',
      auth: { kind: 'apiKey', apiKey: 'k' },
    });
    expect(api.kind).toBe('http');
    await api.close();
  });

  it('keeps UpstreamError as the only failure type', async () => {
    const api = createKlingApi({ ...config, baseUrl: null, auth: null });
    await expect(api.getLipSync('1')).rejects.toBeInstanceOf(UpstreamError);
  });
});
