import { registerEnumType } from 'type-graphql';

export enum WebhookDeliveryState {
  PENDING = 'PENDING',
  DELIVERED = 'DELIVERED',
  FAILED = 'FAILED',
}

registerEnumType(WebhookDeliveryState, {
  name: 'WebhookDeliveryState',
  description: 'Where one webhook delivery is.',
  valuesConfig: {
    PENDING: { description: 'Not delivered yet: being sent, or waiting for its next try (`nextAttemptAt`).' },
    DELIVERED: { description: 'The receiver answered 2xx.' },
    FAILED: {
      description:
        "Given up: no 2xx within WEBHOOK_MAX_AGE_HOURS, or the receiver answered 410 Gone (which also stops the rest of the task's webhooks). `redeliverWebhook` tries again.",
    },
  },
});
