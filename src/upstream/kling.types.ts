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
