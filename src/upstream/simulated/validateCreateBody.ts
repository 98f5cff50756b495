import type { KlingCreateBody } from '../kling.types';
import { KlingRejection } from './KlingRejection';

const MAX_TEXT_CHARACTERS = 120;
const MIN_VOICE_SPEED = 0.8;
const MAX_VOICE_SPEED = 2.0;

/**
 * Checks a create body the way Kling does (docs/kling.md, "Create body"), so that a client bug
 * that our own validation misses still fails in tests exactly as it would in production: 1200 for a body
 * that is not a request at all, 1201 for a bad value.
 */
export function validateCreateBody(body: unknown): KlingCreateBody {
  if (!isObject(body) || !isObject(body.input))
    throw new KlingRejection(1200, 'Invalid request parameters: input is required');
  const input = body.input;
  const invalid = (problem: string): never => {
    throw new KlingRejection(1201, `Invalid parameter value: ${problem}`);
  };

  const hasVideoId = isFilled(input.video_id);
  const hasVideoUrl = isFilled(input.video_url);
  if (hasVideoId === hasVideoUrl) invalid('exactly one of video_id and video_url is required');
  if (input.video_id !== undefined && !hasVideoId) invalid('video_id must be a non-empty string');
  if (input.video_url !== undefined && !hasVideoUrl) invalid('video_url must be a non-empty string');
  if (hasVideoUrl && !isHttpUrl(input.video_url as string)) invalid('video_url must be an http(s) URL');

  if (input.mode === 'text2video') {
    if (!isFilled(input.text)) invalid('text is required for text2video');
    if ([...(input.text as string)].length > MAX_TEXT_CHARACTERS)
      invalid(`text must be at most ${MAX_TEXT_CHARACTERS} characters`);
    if (!isFilled(input.voice_id)) invalid('voice_id is required for text2video');
    if (input.voice_language !== 'zh' && input.voice_language !== 'en') invalid('voice_language must be zh or en');
    if (input.voice_speed !== undefined) {
      const speed = input.voice_speed;
      if (typeof speed !== 'number' || !(speed >= MIN_VOICE_SPEED && speed <= MAX_VOICE_SPEED)) {
        invalid(`voice_speed must be between ${MIN_VOICE_SPEED} and ${MAX_VOICE_SPEED}`);
      }
    }
  } else if (input.mode === 'audio2video') {
    const hasUrl = isFilled(input.audio_url);
    const hasFile = isFilled(input.audio_file);
    if (input.audio_type === 'url') {
      if (!hasUrl || hasFile) invalid('audio_type url needs audio_url and no audio_file');
    } else if (input.audio_type === 'file') {
      if (!hasFile || hasUrl) invalid('audio_type file needs audio_file and no audio_url');
    } else {
      invalid('audio_type must be file or url');
    }
  } else {
    invalid('mode must be text2video or audio2video');
  }

  if (body.callback_url !== undefined && !isFilled(body.callback_url))
    invalid('callback_url must be a non-empty string');
  if (body.external_task_id !== undefined && !isFilled(body.external_task_id)) {
    invalid('external_task_id must be a non-empty string');
  }
  return body as unknown as KlingCreateBody;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFilled(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
