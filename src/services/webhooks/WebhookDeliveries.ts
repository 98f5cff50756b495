import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import { ErrorCode, NotFoundError } from '../../errors';
import type { WebhookDeliveryRecord, WebhookOutbox } from '../../store/WebhookOutbox';
import type { WebhookSecrets } from './WebhookSecrets';

export interface WebhookDeliveriesOptions {
  outbox: WebhookOutbox;
  secrets: WebhookSecrets;
  now: () => number;
  /** the delivery worker, woken after a redelivery so it goes out at once */
  wake: () => void;
}

/** What the API does with webhooks: the caller's secret, its rotation, a task's deliveries, a redelivery. */
export class WebhookDeliveries {
  constructor(private readonly options: WebhookDeliveriesOptions) {}

  get enabled(): boolean {
    return this.options.secrets.enabled;
  }

  async signingSecret(tenant: string): Promise<string> {
    this.requireEnabled();
    return this.options.secrets.current(tenant);
  }

  async rotateSigningSecret(tenant: string): Promise<string> {
    this.requireEnabled();
    return this.options.secrets.rotate(tenant);
  }

  /** FAILED → PENDING; another tenant's or an unknown id is NOT_FOUND; any other state is NOT_REDELIVERABLE. */
  async redeliver(tenant: string, id: string): Promise<WebhookDeliveryRecord> {
    const { outbox, now, wake } = this.options;
    const requeued = await outbox.redeliver(id, tenant, now());
    if (requeued) {
      wake();
      return requeued;
    }
    const current = await outbox.get(id, tenant);
    if (!current) throw new NotFoundError(`Webhook delivery ${id}`);
    throw new GraphQLError(`Only a FAILED delivery can be redelivered; this one is ${current.state.toUpperCase()}`, {
      extensions: {
        code: ErrorCode.BAD_USER_INPUT,
        reason: 'NOT_REDELIVERABLE',
        validationErrors: [{ field: 'deliveryId', message: 'must name a FAILED delivery' }],
      },
    });
  }

  /**
   * One loader per request: every task of a page asks for its deliveries, and they are read in one query
   * (TaskStore.webhooks.listForTasks) instead of one per task. Batching only, no cache: a subscription keeps its
   * context for every result it sends, and each must show the deliveries as they are then.
   */
  loader(tenant: string): DataLoader<string, WebhookDeliveryRecord[]> {
    return new DataLoader(
      async (taskIds: readonly string[]) => {
        const rows = await this.options.outbox.listForTasks(taskIds, tenant);
        const byTask = new Map<string, WebhookDeliveryRecord[]>(taskIds.map((id) => [id, []]));
        for (const row of rows) byTask.get(row.taskId)?.push(row);
        return taskIds.map((id) => byTask.get(id) ?? []);
      },
      { cache: false },
    );
  }

  private requireEnabled(): void {
    if (!this.enabled) throw webhooksDisabled('callbackUrl');
  }
}

/** Production without WEBHOOK_SECRET: nothing can be signed, so nothing webhook-related is accepted. */
export function webhooksDisabled(field: string): GraphQLError {
  return new GraphQLError('Webhooks are off on this server (WEBHOOK_SECRET is not set)', {
    extensions: {
      code: ErrorCode.BAD_USER_INPUT,
      reason: 'WEBHOOKS_DISABLED',
      validationErrors: [{ field, message: 'webhooks are off on this server (WEBHOOK_SECRET is not set)' }],
    },
  });
}
