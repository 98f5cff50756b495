import type { WebhookDeliveryRecord } from '../store/WebhookOutbox';
import type { LipSyncTaskStatus } from '../types/LipSyncTaskStatus';
import type { WebhookDelivery } from '../types/WebhookDelivery';
import { WebhookDeliveryState } from '../types/WebhookDeliveryState';

const STATE_OF = {
  pending: WebhookDeliveryState.PENDING,
  delivered: WebhookDeliveryState.DELIVERED,
  failed: WebhookDeliveryState.FAILED,
} as const;

/** The GraphQL view of one outbox row. */
export function toWebhookDelivery(record: WebhookDeliveryRecord): WebhookDelivery {
  return {
    id: record.id,
    status: record.status as LipSyncTaskStatus,
    state: STATE_OF[record.state],
    attempts: record.attempts,
    lastAttemptAt: record.lastAttemptAt === null ? null : new Date(record.lastAttemptAt),
    nextAttemptAt: record.state === 'pending' ? new Date(record.nextAttemptAt) : null,
    lastResponseStatus: record.lastResponseStatus,
  };
}
