import type { LipSyncTaskStatus } from './gql/graphql';

/**
 * Every status with the words the page shows for it, in the order a task moves. A Record, so a status the
 * schema gains (after `npm run codegen`) fails the type check until it is described here.
 */
export const STATUS_MEANINGS: Record<LipSyncTaskStatus, string> = {
  QUEUED: 'waiting here for a free Kling slot',
  SUBMITTED: 'accepted, waiting to start',
  PROCESSING: 'the video is being made',
  SUCCEEDED: 'the video is ready',
  FAILED: 'ended without a video',
  CANCELED: 'canceled before it reached Kling',
};

export const STATUSES = Object.keys(STATUS_MEANINGS) as LipSyncTaskStatus[];
