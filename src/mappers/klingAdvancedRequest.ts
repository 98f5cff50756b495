import type { AdvancedLipSyncRequest, FaceAudio } from '../domain/advancedRequest';
import { normalizedUrl } from '../domain/outboundUrl';
import { isGiven } from '../domain/request';
import type { KlingAdvancedCreateBody, KlingFaceChoice, KlingIdentifyFaceBody } from '../upstream/kling.types';

/** Kling's default for both volumes (docs/kling.md, "Advanced lip-sync"); sent explicitly so the body says what runs. */
const DEFAULT_VOLUME = 1;

/** identify-face's body: exactly one video source, URLs in the form validation checked (src/domain/outboundUrl.ts). */
export function toKlingIdentifyFaceBody(input: {
  videoId?: string | null;
  videoUrl?: string | null;
}): KlingIdentifyFaceBody {
  if (isGiven(input.videoId)) return { video_id: input.videoId };
  return { video_url: normalizedUrl(input.videoUrl as string) };
}

/**
 * The advanced create body for a validated request: `external_task_id` is our record id (a lost answer is found
 * again in the advanced list), `ownCallbackUrl` is this server's receiver (a client's callbackUrl is never Kling's).
 * Kling's `sound_file` takes Base64 or a URL, so soundUrl and soundFile both go there.
 */
export function toKlingAdvancedCreateBody(
  request: AdvancedLipSyncRequest,
  externalTaskId: string,
  ownCallbackUrl: string | null,
): KlingAdvancedCreateBody {
  const body: KlingAdvancedCreateBody = {
    session_id: request.sessionId,
    face_choose: request.faces.map(toFaceChoice),
    watermark_info: { enabled: request.watermark === true },
  };
  if (ownCallbackUrl) body.callback_url = ownCallbackUrl;
  body.external_task_id = externalTaskId;
  return body;
}

function toFaceChoice(face: FaceAudio): KlingFaceChoice {
  const choice: KlingFaceChoice = {
    face_id: face.faceId,
    sound_start_time: face.soundStartMs,
    sound_end_time: face.soundEndMs,
    sound_insert_time: face.soundInsertMs,
    sound_volume: face.soundVolume ?? DEFAULT_VOLUME,
    original_audio_volume: face.originalAudioVolume ?? DEFAULT_VOLUME,
  };
  if (isGiven(face.audioId)) choice.audio_id = face.audioId;
  else if (isGiven(face.soundUrl)) choice.sound_file = normalizedUrl(face.soundUrl);
  else if (isGiven(face.soundFile)) choice.sound_file = face.soundFile;
  return choice;
}
