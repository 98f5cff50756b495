import { beforeAll, describe, expect, it } from '@jest/globals';
import { Metrics } from '../../src/metrics';
import type { KlingClient } from '../../src/upstream/KlingClient';
import { FAKE_KLING_API_KEY, type FakeKling, startFakeKling } from '../support/fakeKling';
import { UUID, audioToVideoBody, clientFor, useFakeWithClient, textToVideoBody, upstreamFailure } from './support';

describe('KlingClient against the fake (API key)', () => {
  const setup = useFakeWithClient();
  let fake: FakeKling;
  let client: KlingClient;
  beforeAll(() => {
    fake = setup.fake;
    client = setup.client;
  });

  it('creates a task with the exact headers and body Kling expects', async () => {
    const body = textToVideoBody({ voice_speed: 1.2 }, 'rec-1');
    const answer = await client.createLipSync(body);

    expect(answer.requestId).toMatch(UUID);
    expect(answer.data.task_id).toMatch(/^\d{18}$/);
    expect(answer.data.task_status).toBe('submitted');
    expect(answer.data.task_info?.external_task_id).toBe('rec-1');

    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1/videos/lip-sync');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.accept).toBe('application/json');
    expect(request.headers.authorization).toBe(`Bearer ${FAKE_KLING_API_KEY}`);
    expect(request.body).toEqual(body);
  });

  it('gets a task by id and lists tasks newest first', async () => {
    const first = await client.createLipSync(textToVideoBody());
    const second = await client.createLipSync(audioToVideoBody());

    const got = await client.getLipSync(first.data.task_id);
    expect(got.data.task_id).toBe(first.data.task_id);
    expect(got.requestId).toMatch(UUID);

    const listed = await client.listLipSync(1, 10);
    expect(listed.data.map((t) => t.task_id)).toEqual([second.data.task_id, first.data.task_id]);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`).slice(2)).toEqual([
      `GET /v1/videos/lip-sync/${first.data.task_id}`,
      'GET /v1/videos/lip-sync?pageNum=1&pageSize=10',
    ]);
    expect(fake.requests[2].headers['content-type']).toBeUndefined();
  });

  it('encodes task ids into the path, so an odd id is just an unknown task', async () => {
    const error = await upstreamFailure(client.getLipSync('../../etc?x=1'));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.upstream).toMatchObject({ httpStatus: 404, code: 1203 });
    expect(fake.requests[0].path).toBe('/v1/videos/lip-sync/..%2F..%2Fetc%3Fx%3D1');
  });

  it('counts every attempt in the upstream metrics', async () => {
    const metrics = new Metrics();
    const measured = clientFor(fake, {}, { metrics });
    await measured.createLipSync(textToVideoBody());
    fake.inject({ code: 5001 }, { endpoint: 'get' });
    await upstreamFailure(measured.getLipSync('404404404404404404'));
    await measured.close();

    const samples = (await metrics.upstreamRequests.get()).values.map((v) => [
      v.labels.endpoint,
      v.labels.code,
      v.value,
    ]);
    expect(samples).toEqual([
      ['create', '0', 1],
      ['get', '5001', 1],
      ['get', '1203', 1],
    ]);
    const durations = (await metrics.upstreamDuration.get()).values.find(
      (v) => v.metricName?.endsWith('_count') && v.labels.endpoint === 'get',
    );
    expect(durations?.value).toBe(2);
  });
});

describe('KlingClient with a prefixed base URL (aggregator style)', () => {
  it('sends every request under the prefix', async () => {
    const fake = await startFakeKling({ prefix: '/kling', apiKey: 'aggregator-key' });
    const client = clientFor(fake);
    try {
      expect(fake.url).toMatch(/\/kling$/);
      const created = await client.createLipSync(textToVideoBody());
      await client.getLipSync(created.data.task_id);
      await client.listLipSync(2, 5);
      expect(fake.requests.map((r) => r.path)).toEqual([
        '/kling/v1/videos/lip-sync',
        `/kling/v1/videos/lip-sync/${created.data.task_id}`,
        '/kling/v1/videos/lip-sync?pageNum=2&pageSize=5',
      ]);
      expect(fake.requests[0].headers.authorization).toBe('Bearer aggregator-key');
    } finally {
      await client.close();
      await fake.close();
    }
  });
});
