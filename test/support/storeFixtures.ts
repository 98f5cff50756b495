import { randomUUID } from 'node:crypto';
import type { AcceptedState, StoredError, TaskIntent, TaskSnapshot } from '../../src/domain/task';
import type { TaskStore } from '../../src/store/TaskStore';

/** Builders for store tests: every value a test does not name is a plausible default. */

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

export function taskIntent(overrides: Partial<TaskIntent> = {}): TaskIntent {
  return {
    id: uniqueId('task'),
    tenant: 'default',
    mode: 'TEXT_TO_VIDEO',
    requestHash: 'hash-a',
    idempotencyKey: null,
    idempotencyExpiresAt: null,
    recordedAt: 1_000,
    leaseUntil: 31_000,
    ...overrides,
  };
}

export function taskSnapshot(upstreamId: string, overrides: Partial<TaskSnapshot> = {}): TaskSnapshot {
  return {
    upstreamId,
    state: 'submitted',
    statusMessage: null,
    parentVideo: { id: 'parent-1', url: 'https://cdn.example/parent.mp4', durationSeconds: 5.5 },
    videos: [],
    createdAt: 2_000,
    updatedAt: 2_000,
    externalTaskId: null,
    ...overrides,
  };
}

export const SUCCEEDED_VIDEOS = [{ id: 'video-1', url: 'https://cdn.example/out.mp4', durationSeconds: 5.5 }];

export const SUBMIT_ERROR: StoredError = {
  code: 'CONTENT_REJECTED',
  message: 'the text was rejected',
  retryable: false,
  upstream: { httpStatus: 400, code: 1301, message: 'content rejected', requestId: 'req-rejected' },
};

/** Writes an intent and accepts it, as a successful createLipSync would. */
export async function acceptedTask(
  store: TaskStore,
  options: { tenant?: string; upstreamId?: string; createdAt?: number; state?: AcceptedState } = {},
) {
  const { record } = await store.insertIntent(taskIntent({ tenant: options.tenant ?? 'default' }), 1_000);
  const createdAt = options.createdAt ?? 2_000;
  const snapshot = taskSnapshot(options.upstreamId ?? uniqueId('up'), {
    createdAt,
    updatedAt: createdAt,
    state: options.state ?? 'submitted',
  });
  return store.markAccepted(record.id, snapshot, 'req-accept', 3_000);
}
