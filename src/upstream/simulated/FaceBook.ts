import type { KlingAdvancedCreateBody, KlingFaceSessionData, KlingIdentifyFaceBody } from '../kling.types';
import { KlingRejection } from './KlingRejection';

/** Every simulated video lasts this long (the TaskBook's 5.1 s). */
export const SIMULATED_VIDEO_MS = 5_100;
/** docs/kling.md, "Advanced lip-sync": a cropped clip lasts ≥ 2 s and overlaps its face by ≥ 2 s. */
const MIN_CLIP_MS = 2_000;
/** A video reference that mentions "no face" has none; one that mentions "two faces" (or a group) has two. */
const NO_FACE = /no[\s_-]?face/i;
const TWO_FACES = /two[\s_-]?faces|group/i;
/** The faces found, by how many there are: ids and time ranges (ms) are fixed so examples can name them. */
const FACES = [
  { face_id: 'face_1', start_time: 1_000, end_time: 5_000 },
  { face_id: 'face_2', start_time: 2_500, end_time: SIMULATED_VIDEO_MS },
];

interface Session {
  videoId: string | undefined;
  videoUrl: string | undefined;
  faces: typeof FACES;
}

/** What an advanced create books: the session's video, the watermark choice and our id. */
export interface AdvancedBooking {
  videoId: string | undefined;
  videoUrl: string | undefined;
  watermark: boolean;
  externalTaskId: string | undefined;
}

/**
 * The simulated upstream's identify-face sessions and Kling's advanced lip-sync rules (docs/kling.md,
 * "Advanced lip-sync"), so a rule our own validation misses fails here as it would at Kling: 1201.
 */
export class FaceBook {
  private readonly sessions = new Map<string, Session>();
  private nextSession = 1;

  constructor(private readonly maxSessions = 100_000) {}

  identify(body: KlingIdentifyFaceBody, mediaBaseUrl: string): KlingFaceSessionData {
    const videoId = filled(body?.video_id);
    const videoUrl = filled(body?.video_url);
    if ((videoId === undefined) === (videoUrl === undefined))
      throw invalid('exactly one of video_id and video_url is required');
    const reference = videoId ?? (videoUrl as string);
    const faces = NO_FACE.test(reference) ? [] : FACES.slice(0, TWO_FACES.test(reference) ? 2 : 1);
    const sessionId = `sim-session-${Date.now().toString(36)}-${this.nextSession++}`;
    this.sessions.set(sessionId, { videoId, videoUrl, faces });
    if (this.sessions.size > this.maxSessions) this.sessions.delete(this.sessions.keys().next().value as string);
    return {
      session_id: sessionId,
      final_unit_deduction: '0.5',
      face_data: faces.map((face) => ({
        ...face,
        face_image: `${mediaBaseUrl}/faces/${sessionId}/${face.face_id}.jpg`,
      })),
    };
  }

  /** Checks an advanced create body the way Kling does; what it books. */
  check(body: KlingAdvancedCreateBody): AdvancedBooking {
    const session = typeof body?.session_id === 'string' ? this.sessions.get(body.session_id) : undefined;
    if (!session) throw invalid('session_id is invalid or expired');
    if (!Array.isArray(body.face_choose) || body.face_choose.length !== 1)
      throw invalid('face_choose currently only supports one person');
    const choice = body.face_choose[0];
    const face = session.faces.find((candidate) => candidate.face_id === choice?.face_id);
    if (!face) throw invalid('face_id is not in this session');
    if ((filled(choice.audio_id) === undefined) === (filled(choice.sound_file) === undefined))
      throw invalid('exactly one of audio_id and sound_file is required');
    const { sound_start_time: start, sound_end_time: end, sound_insert_time: insert } = choice;
    if (![start, end, insert].every((ms) => Number.isInteger(ms) && ms >= 0))
      throw invalid('sound_start_time, sound_end_time and sound_insert_time must be whole milliseconds ≥ 0');
    if (end - start < MIN_CLIP_MS) throw invalid('the cropped audio must last at least 2 s');
    if (insert >= SIMULATED_VIDEO_MS) throw invalid('sound_insert_time must lie inside the video');
    const overlap = Math.min(insert + end - start, face.end_time) - Math.max(insert, face.start_time);
    if (overlap < MIN_CLIP_MS) throw invalid("the inserted audio must overlap the face's time range by at least 2 s");
    for (const volume of [choice.sound_volume, choice.original_audio_volume]) {
      if (volume !== undefined && !(typeof volume === 'number' && volume >= 0 && volume <= 2))
        throw invalid('volumes must be between 0 and 2');
    }
    if (body.callback_url !== undefined && filled(body.callback_url) === undefined)
      throw invalid('callback_url must be a non-empty string');
    if (body.external_task_id !== undefined && filled(body.external_task_id) === undefined)
      throw invalid('external_task_id must be a non-empty string');
    return {
      videoId: session.videoId,
      videoUrl: session.videoUrl,
      watermark: body.watermark_info?.enabled === true,
      externalTaskId: body.external_task_id,
    };
  }
}

function invalid(problem: string): KlingRejection {
  return new KlingRejection(1201, `Invalid parameter value: ${problem}`);
}

function filled(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
