/**
 * The upstream's JSON, declared once (see docs/kling.md).
 * Nothing outside src/upstream and src/mappers imports these names.
 */

export type KlingTaskStatus = 'submitted' | 'processing' | 'succeed' | 'failed';
export type KlingMode = 'text2video' | 'audio2video';
export type KlingVoiceLanguage = 'zh' | 'en';

export interface KlingEnvelope<T> {
  code: number;
  message: string;
  request_id: string;
  data?: T;
}

export interface KlingVideo {
  id: string;
  url: string;
  /** seconds, as a string */
  duration?: string;
  /** advanced lip-sync: the watermarked copy (docs/kling.md, "Advanced lip-sync") */
  watermark_url?: string;
}

export interface KlingTaskData {
  task_id: string;
  /** one of KlingTaskStatus when documented; Kling may send others (docs/kling.md, "Answer envelope") */
  task_status: string;
  task_status_msg?: string;
  task_info?: {
    parent_video?: KlingVideo;
    external_task_id?: string;
  };
  /** advanced lip-sync answers echo it */
  watermark_info?: { enabled?: boolean };
  task_result?: {
    videos?: KlingVideo[];
  };
  /** units charged, a decimal string such as "1.5", once known (docs/kling.md, "Answer envelope") */
  final_unit_deduction?: string;
  /** epoch milliseconds */
  created_at: number;
  updated_at: number;
}

export interface KlingLipSyncInput {
  video_id?: string;
  video_url?: string;
  mode: KlingMode;
  text?: string;
  voice_id?: string;
  voice_language?: KlingVoiceLanguage;
  voice_speed?: number;
  audio_type?: 'file' | 'url';
  audio_url?: string;
  audio_file?: string;
}

export interface KlingCreateBody {
  input: KlingLipSyncInput;
  callback_url?: string;
  external_task_id?: string;
}

/** POST /v1/videos/identify-face (docs/kling.md, "Advanced lip-sync"): exactly one of the two. */
export interface KlingIdentifyFaceBody {
  video_id?: string;
  video_url?: string;
}

export interface KlingFaceData {
  face_id: string;
  /** a thumbnail URL */
  face_image: string;
  /** ms into the video */
  start_time: number;
  end_time: number;
}

/** identify-face answers synchronously with the session and the faces found. */
export interface KlingFaceSessionData {
  session_id: string;
  /** a decimal string */
  final_unit_deduction?: string;
  face_data: KlingFaceData[];
}

/** One entry of face_choose: exactly one of audio_id / sound_file (Base64 or a URL). Times in ms. */
export interface KlingFaceChoice {
  face_id: string;
  audio_id?: string;
  sound_file?: string;
  sound_start_time: number;
  sound_end_time: number;
  sound_insert_time: number;
  sound_volume?: number;
  original_audio_volume?: number;
}

/** POST /v1/videos/advanced-lip-sync */
export interface KlingAdvancedCreateBody {
  session_id: string;
  face_choose: KlingFaceChoice[];
  watermark_info?: { enabled: boolean };
  callback_url?: string;
  external_task_id?: string;
}
