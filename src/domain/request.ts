import type { TaskMode } from './task';

/** A validated create request, in our own terms (the GraphQL input class satisfies it structurally). */
export interface LipSyncRequest {
  videoId?: string | null;
  videoUrl?: string | null;
  mode?: TaskMode | null;
  text?: string | null;
  voiceId?: string | null;
  voiceLanguage?: 'ZH' | 'EN' | null;
  voiceSpeed?: number | null;
  audioUrl?: string | null;
  audioFile?: string | null;
  callbackUrl?: string | null;
  idempotencyKey?: string | null;
}

export function isGiven<T>(value: T | null | undefined): value is T {
  return value !== undefined && value !== null;
}

function givesText(r: LipSyncRequest): boolean {
  return isGiven(r.text) || isGiven(r.voiceId) || isGiven(r.voiceLanguage) || isGiven(r.voiceSpeed);
}

function givesAudio(r: LipSyncRequest): boolean {
  return isGiven(r.audioUrl) || isGiven(r.audioFile);
}

/**
 * The mode a request runs in: the explicit one, or the one its fields imply.
 * Null when it cannot be told (both kinds of fields, or neither) — validation reports that on `mode`.
 */
export function effectiveMode(r: LipSyncRequest): TaskMode | null {
  if (isGiven(r.mode)) return r.mode;
  const text = givesText(r);
  const audio = givesAudio(r);
  if (text === audio) return null;
  return text ? 'TEXT_TO_VIDEO' : 'AUDIO_TO_VIDEO';
}

/** Why the mode cannot be inferred, or null when it can. */
export function modeProblem(r: LipSyncRequest): string | null {
  if (isGiven(r.mode)) return null;
  const text = givesText(r);
  const audio = givesAudio(r);
  if (text && audio) {
    return 'cannot be inferred: give either text (with voiceId, voiceLanguage) or audioUrl/audioFile, not both';
  }
  if (!text && !audio) {
    return 'cannot be inferred: give text with voiceId and voiceLanguage (TEXT_TO_VIDEO), or audioUrl/audioFile (AUDIO_TO_VIDEO)';
  }
  return null;
}
