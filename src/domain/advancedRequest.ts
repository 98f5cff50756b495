import type { LipSyncRequest } from './request';

/** One face and the audio it speaks (the GraphQL FaceAudioInput satisfies it structurally). */
export interface FaceAudio {
  faceId: string;
  audioId?: string | null;
  soundUrl?: string | null;
  soundFile?: string | null;
  /** the audio is cropped to [soundStartMs, soundEndMs] … */
  soundStartMs: number;
  soundEndMs: number;
  /** … and placed at this point of the video's timeline */
  soundInsertMs: number;
  soundVolume?: number | null;
  originalAudioVolume?: number | null;
}

/** A validated advanced create request, in our own terms (AdvancedLipSyncInput satisfies it structurally). */
export interface AdvancedLipSyncRequest {
  sessionId: string;
  faces: FaceAudio[];
  watermark?: boolean | null;
  callbackUrl?: string | null;
  idempotencyKey?: string | null;
}

/**
 * A create input as the queue keeps it (the `request` column) until Kling accepts the task: it carries its kind,
 * so a task queued now is sent to the right endpoint later. Rows queued before advanced tasks existed have no
 * kind and are STANDARD.
 */
export type TaskRequest =
  { kind: 'STANDARD'; request: LipSyncRequest } | { kind: 'ADVANCED'; request: AdvancedLipSyncRequest };

export function storedRequest(task: TaskRequest): string {
  return JSON.stringify(task.kind === 'ADVANCED' ? { ...task.request, kind: 'ADVANCED' } : task.request);
}

export function parseStoredRequest(json: string): TaskRequest {
  const { kind, ...request } = JSON.parse(json) as { kind?: string } & Record<string, unknown>;
  return kind === 'ADVANCED'
    ? { kind: 'ADVANCED', request: request as unknown as AdvancedLipSyncRequest }
    : { kind: 'STANDARD', request: request as LipSyncRequest };
}

/** The cropped clip's length and where it lands on the video's timeline. */
export function insertedRange(face: FaceAudio): { startMs: number; endMs: number } {
  return { startMs: face.soundInsertMs, endMs: face.soundInsertMs + (face.soundEndMs - face.soundStartMs) };
}

/** Milliseconds two ranges share (0 when they do not meet). */
export function overlapMs(a: { startMs: number; endMs: number }, b: { startMs: number; endMs: number }): number {
  return Math.max(0, Math.min(a.endMs, b.endMs) - Math.max(a.startMs, b.startMs));
}
