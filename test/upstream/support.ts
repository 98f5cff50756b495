import { afterAll, afterEach, beforeAll, expect } from '@jest/globals';
import type { UpstreamConfig } from '../../src/config';
import { UpstreamError } from '../../src/errors';
import { KlingClient, type KlingClientOptions } from '../../src/upstream/KlingClient';
import type { KlingCreateBody } from '../../src/upstream/kling.types';
import { startFakeKling, type FakeKling } from '../support/fakeKling';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function textToVideoBody(
  input: Partial<KlingCreateBody['input']> = {},
  externalTaskId?: string,
): KlingCreateBody {
  return {
    input: {
      video_url: 'https://cdn.example.com/face.mp4',
      mode: 'text2video',
      text: 'Hello there',
      voice_id: 'genshin_vindi2',
      voice_language: 'en',
      ...input,
    },
    ...(externalTaskId !== undefined && { external_task_id: externalTaskId }),
  };
}

export function audioToVideoBody(input: Partial<KlingCreateBody['input']> = {}): KlingCreateBody {
  return {
    input: {
      video_id: '817067112967086149',
      mode: 'audio2video',
      audio_type: 'url',
      audio_url: 'https://cdn.example.com/voice.mp3',
      ...input,
    },
  };
}

/** A client for the fake with fast retries; options override the defaults. */
export function clientFor(
  fake: FakeKling,
  config: Partial<UpstreamConfig> = {},
  options: Omit<Partial<KlingClientOptions>, 'config'> = {},
): KlingClient {
  return new KlingClient({ config: fake.upstreamConfig(config), retryDelayMs: 5, ...options });
}

/** The UpstreamError a call fails with (fails the test when it succeeds or fails otherwise). */
export async function upstreamFailure(call: Promise<unknown>): Promise<UpstreamError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

/**
 * One fake and one client for a describe block: started before its tests, the fake's faults and records
 * reset after each, both closed at the end.
 */
export function useFakeWithClient(): { readonly fake: FakeKling; readonly client: KlingClient } {
  let fake: FakeKling;
  let client: KlingClient;
  beforeAll(async () => {
    fake = await startFakeKling();
    client = clientFor(fake);
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await client.close();
    await fake.close();
  });
  return {
    get fake() {
      return fake;
    },
    get client() {
      return client;
    },
  };
}
