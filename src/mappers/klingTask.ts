import type { AcceptedState, TaskSnapshot, VideoInfo } from '../domain/task';
import type { KlingTaskData, KlingTaskStatus, KlingVideo } from '../upstream/kling.types';

const STATE_OF: Record<KlingTaskStatus, AcceptedState> = {
  submitted: 'submitted',
  processing: 'processing',
  succeed: 'succeeded',
  failed: 'failed',
};

/** An upstream task object in our terms. Tolerates what the upstream leaves out (task_info, task_result, durations). */
export function fromKlingTask(data: KlingTaskData): TaskSnapshot {
  const state = STATE_OF[data.task_status];
  if (!state) throw new Error(`unknown upstream task_status "${String(data.task_status).slice(0, 40)}"`);
  return {
    upstreamId: String(data.task_id),
    state,
    statusMessage: data.task_status_msg ? data.task_status_msg : null,
    parentVideo: data.task_info?.parent_video ? fromKlingVideo(data.task_info.parent_video) : null,
    videos: (data.task_result?.videos ?? []).map(fromKlingVideo),
    createdAt: toEpochMs(data.created_at),
    updatedAt: toEpochMs(data.updated_at ?? data.created_at),
    externalTaskId: data.task_info?.external_task_id ?? null,
  };
}

function fromKlingVideo(video: KlingVideo): VideoInfo {
  const seconds = video.duration === undefined ? NaN : Number(video.duration);
  return { id: String(video.id ?? ''), url: String(video.url ?? ''), durationSeconds: Number.isFinite(seconds) ? seconds : null };
}

/** The upstream speaks epoch milliseconds; a missing or odd value becomes "now" rather than 1970. */
function toEpochMs(value: unknown): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : Date.now();
}
