import { registerEnumType } from 'type-graphql';

export enum LipSyncTaskStatus {
  QUEUED = 'QUEUED',
  SUBMITTED = 'SUBMITTED',
  PROCESSING = 'PROCESSING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELED = 'CANCELED',
}

registerEnumType(LipSyncTaskStatus, {
  name: 'LipSyncTaskStatus',
  description:
    'Where a task is: QUEUED → SUBMITTED → PROCESSING → SUCCEEDED or FAILED; QUEUED → CANCELED. SUCCEEDED, FAILED and CANCELED are final.',
  valuesConfig: {
    QUEUED: {
      description:
        'Accepted and stored here, not yet sent to Kling: waiting for a concurrency slot (`queuePosition` says when its turn comes). `klingTaskId` is null.',
    },
    SUBMITTED: {
      description:
        'Sent to Kling, waiting to start. While the create request to Kling is still in flight (or its answer was lost and is being confirmed) the task is SUBMITTED with `klingTaskId` null: it may already exist at Kling, so it holds a concurrency slot and can no longer be canceled.',
    },
    PROCESSING: { description: 'The video is being made (typically 3–7 minutes).' },
    SUCCEEDED: { description: 'Done: `videos` holds the result.' },
    FAILED: {
      description: "Ended without a video: `statusMessage` says why (Kling's reason, or ours, e.g. queued too long).",
    },
    CANCELED: { description: 'Canceled while QUEUED: never sent to Kling, nothing charged.' },
  },
});
