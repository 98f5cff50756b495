import type { TaskRecord, TaskState, VideoInfo } from '../domain/task';
import { LipSyncMode } from '../types/LipSyncMode';
import type { LipSyncTask } from '../types/LipSyncTask';
import { LipSyncTaskStatus } from '../types/LipSyncTaskStatus';
import type { LipSyncVideo } from '../types/LipSyncVideo';

const STATUS_OF: Partial<Record<TaskState, LipSyncTaskStatus>> = {
  submitted: LipSyncTaskStatus.SUBMITTED,
  processing: LipSyncTaskStatus.PROCESSING,
  succeeded: LipSyncTaskStatus.SUCCEEDED,
  failed: LipSyncTaskStatus.FAILED,
};

const STATE_OF: Record<LipSyncTaskStatus, TaskState> = {
  SUBMITTED: 'submitted',
  PROCESSING: 'processing',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
};

export function stateOfStatus(status: LipSyncTaskStatus): TaskState {
  return STATE_OF[status];
}

/** The GraphQL view of an accepted task. Records the upstream has not accepted have no public form. */
export function toLipSyncTask(record: TaskRecord): LipSyncTask {
  const status = STATUS_OF[record.state];
  if (!status || record.upstreamId === null) {
    throw new Error(`task record ${record.id} in state ${record.state} has no public form`);
  }
  return {
    id: record.upstreamId,
    status,
    statusMessage: record.statusMessage,
    mode: LipSyncMode[record.mode],
    parentVideo: record.parentVideo ? toVideo(record.parentVideo) : null,
    videos: record.videos.map(toVideo),
    createdAt: new Date(record.createdAt),
    updatedAt: new Date(record.updatedAt),
    upstreamRequestId: record.upstreamRequestId,
  };
}

function toVideo(video: VideoInfo): LipSyncVideo {
  return { id: video.id, url: video.url, durationSeconds: video.durationSeconds };
}
