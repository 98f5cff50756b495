import type { AcceptedState, TaskSnapshot, VideoInfo } from '../domain/task';
import { microUnitsFromDecimal } from '../domain/units';
import type { KlingTaskData, KlingTaskStatus, KlingVideo } from '../upstream/kling.types';
import { isKnownTaskStatus } from '../upstream/klingAnswers';

const STATE_OF: Readonly<Record<KlingTaskStatus, AcceptedState>> = {
  submitted: 'submitted',
  processing: 'processing',
  succeed: 'succeeded',
  failed: 'failed',
};

/** Whether the task's status is one docs/kling.md documents; an unknown one must not move a stored task. */
export function hasKnownStatus(data: KlingTaskData): boolean {
  return isKnownTaskStatus(data.task_status);
}

/**
 * An upstream task object in our terms. Tolerates what the upstream leaves out (task_info, task_result, durations).
 * An undocumented status reads as `submitted`: a create's answer or a list entry proves at least that Kling
 * accepted the task. A stored task is not moved by one at all (see hasKnownStatus).
 */
export function fromKlingTask(data: KlingTaskData): TaskSnapshot {
  const status = data.task_status;
  const state = isKnownTaskStatus(status) ? STATE_OF[status] : 'submitted';
  return {
    upstreamId: String(data.task_id),
    state,
    statusMessage: data.task_status_msg ? data.task_status_msg : null,
    parentVideo: data.task_info?.parent_video ? fromKlingVideo(data.task_info.parent_video) : null,
    videos: (data.task_result?.videos ?? []).map(fromKlingVideo),
    createdAt: toEpochMs(data.created_at),
    updatedAt: toEpochMs(data.updated_at ?? data.created_at),
    externalTaskId: data.task_info?.external_task_id ?? null,
    unitsChargedMicro: unitsCharged(data.final_unit_deduction),
  };
}

/**
 * `final_unit_deduction` is a decimal string (docs/kling.md); a JSON number is read through its shortest text,
 * which is the decimal that was written. Anything else (absent, empty, negative, not a number) is "not known yet".
 */
function unitsCharged(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? microUnitsFromDecimal(String(value)) : null;
  return typeof value === 'string' ? microUnitsFromDecimal(value) : null;
}

function fromKlingVideo(video: KlingVideo): VideoInfo {
  const seconds = video.duration === undefined ? NaN : Number(video.duration);
  return {
    id: String(video.id ?? ''),
    url: String(video.url ?? ''),
    durationSeconds: Number.isFinite(seconds) ? seconds : null,
    ...(typeof video.watermark_url === 'string' && { watermarkUrl: video.watermark_url }),
  };
}

/**
 * The upstream speaks epoch milliseconds; a missing or odd value becomes "now" rather than 1970. A fractional
 * value is rounded: the stores keep whole milliseconds (an INTEGER/BIGINT column refuses 1762832498885.5).
 */
function toEpochMs(value: unknown): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? Math.round(n) : Date.now();
}
