import { normalizedUrl } from '../domain/outboundUrl';
import { isGiven, type LipSyncRequest } from '../domain/request';
import type { TaskMode } from '../domain/task';
import type { KlingCreateBody, KlingLipSyncInput } from '../upstream/kling.types';

const KLING_MODE: Record<TaskMode, KlingLipSyncInput['mode']> = {
  TEXT_TO_VIDEO: 'text2video',
  AUDIO_TO_VIDEO: 'audio2video',
};

/**
 * The upstream create body for a validated request. Only the given fields are sent (never empty strings,
 * never both video sources); `external_task_id` is our record id, so a lost answer can be found again.
 * URLs go out in the form validation checked (src/domain/outboundUrl.ts). `ownCallbackUrl` is this server's
 * receiver for the task: a client's callbackUrl is ours to call (webhooks), never Kling's.
 */
export function toKlingCreateBody(
  request: LipSyncRequest,
  mode: TaskMode,
  externalTaskId: string,
  ownCallbackUrl: string | null,
): KlingCreateBody {
  const input: KlingLipSyncInput = { mode: KLING_MODE[mode] };
  if (isGiven(request.videoId)) input.video_id = request.videoId;
  else if (isGiven(request.videoUrl)) input.video_url = normalizedUrl(request.videoUrl);
  if (mode === 'TEXT_TO_VIDEO') {
    if (isGiven(request.text)) input.text = request.text;
    if (isGiven(request.voiceId)) input.voice_id = request.voiceId;
    if (isGiven(request.voiceLanguage)) input.voice_language = request.voiceLanguage === 'ZH' ? 'zh' : 'en';
    if (isGiven(request.voiceSpeed)) input.voice_speed = request.voiceSpeed;
  } else if (isGiven(request.audioUrl)) {
    input.audio_type = 'url';
    input.audio_url = normalizedUrl(request.audioUrl);
  } else if (isGiven(request.audioFile)) {
    input.audio_type = 'file';
    input.audio_file = request.audioFile;
  }
  const body: KlingCreateBody = { input };
  if (ownCallbackUrl) body.callback_url = ownCallbackUrl;
  body.external_task_id = externalTaskId;
  return body;
}
