import type { TaskRecord, TaskState, VideoInfo } from '../domain/task';
import { LipSyncKind } from '../types/LipSyncKind';
import { unitsFromMicro } from '../domain/units';
import { LipSyncMode } from '../types/LipSyncMode';
import { toDetectedFace } from './faceSession';
import type { LipSyncTask } from '../types/LipSyncTask';
import { LipSyncTaskStatus } from '../types/LipSyncTaskStatus';
import type { LipSyncVideo } from '../types/LipSyncVideo';

/**
 * `submitting` is public as SUBMITTED (with no klingTaskId yet): the create may already be at Kling, so it holds a
 * slot and cannot be canceled. `submit_failed` is a create that was answered with its error; looked up by id it
 * shows as FAILED with that error's message.
 */
const STATUS_OF: Record<TaskState, LipSyncTaskStatus> = {
  queued: LipSyncTaskStatus.QUEUED,
  submitting: LipSyncTaskStatus.SUBMITTED,
  submit_failed: LipSyncTaskStatus.FAILED,
  submitted: LipSyncTaskStatus.SUBMITTED,
  processing: LipSyncTaskStatus.PROCESSING,
  succeeded: LipSyncTaskStatus.SUCCEEDED,
  failed: LipSyncTaskStatus.FAILED,
  canceled: LipSyncTaskStatus.CANCELED,
};

const STATE_OF: Record<LipSyncTaskStatus, TaskState> = {
  QUEUED: 'queued',
  SUBMITTED: 'submitted',
  PROCESSING: 'processing',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  CANCELED: 'canceled',
};

export function stateOfStatus(status: LipSyncTaskStatus): TaskState {
  return STATE_OF[status];
}

export function statusOf(record: TaskRecord): LipSyncTaskStatus {
  return STATUS_OF[record.state];
}

/** The GraphQL view of a task; `queuePosition` is the dispatcher's answer for a QUEUED task (null otherwise). */
export function toLipSyncTask(record: TaskRecord, queuePosition: number | null = null): LipSyncTask {
  return {
    id: record.id,
    klingTaskId: record.upstreamId,
    status: STATUS_OF[record.state],
    queuePosition: record.state === 'queued' ? queuePosition : null,
    statusMessage:
      record.statusMessage ?? (record.state === 'submit_failed' ? (record.submitError?.message ?? null) : null),
    mode: record.mode === null ? null : LipSyncMode[record.mode],
    kind: LipSyncKind[record.kind],
    face: record.face && toDetectedFace(record.face),
    parentVideo: record.parentVideo ? toVideo(record.parentVideo) : null,
    videos: record.videos.map(toVideo),
    createdAt: new Date(record.createdAt),
    updatedAt: new Date(record.updatedAt),
    upstreamRequestId: record.upstreamRequestId,
    unitsCharged: record.unitsChargedMicro === null ? null : unitsFromMicro(record.unitsChargedMicro),
  };
}

function toVideo(video: VideoInfo): LipSyncVideo {
  return {
    id: video.id,
    url: video.url,
    durationSeconds: video.durationSeconds,
    watermarkUrl: video.watermarkUrl ?? null,
  };
}
