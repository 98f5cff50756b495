import type { LipSyncTaskStatus } from './gql/graphql';

/**
 * Every status with the words the page shows for it, in the order a task moves. A Record, so a status the
 * schema gains (after `npm run codegen`) fails the type check until it is described here.
 */
export const STATUS_LABELS: Record<LipSyncTaskStatus, string> = {
  SUBMITTED: 'Submitted, waiting to start',
  PROCESSING: 'Processing',
  SUCCEEDED: 'Succeeded',
  FAILED: 'Failed',
};

export const STATUSES = Object.keys(STATUS_LABELS) as LipSyncTaskStatus[];
