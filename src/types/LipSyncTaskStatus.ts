import { registerEnumType } from 'type-graphql';

export enum LipSyncTaskStatus {
  SUBMITTED = 'SUBMITTED',
  PROCESSING = 'PROCESSING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

registerEnumType(LipSyncTaskStatus, {
  name: 'LipSyncTaskStatus',
  description: 'Where a task is: SUBMITTED → PROCESSING → SUCCEEDED or FAILED (the last two are final).',
  valuesConfig: {
    SUBMITTED: { description: 'Accepted by the upstream, waiting to start.' },
    PROCESSING: { description: 'The video is being made (typically 3–7 minutes).' },
    SUCCEEDED: { description: 'Done: `videos` holds the result.' },
    FAILED: { description: 'Ended without a video: `statusMessage` says why.' },
  },
});
