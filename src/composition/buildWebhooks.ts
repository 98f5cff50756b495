import type { Coordination } from '../coordination';
import { WebhookDeliveries } from '../services/webhooks/WebhookDeliveries';
import { WebhookSecrets } from '../services/webhooks/WebhookSecrets';
import { WebhookWorker } from '../services/webhooks/WebhookWorker';
import type { TaskStore } from '../store/TaskStore';
import type { Foundation } from './Foundation';

/** Webhooks to clients' callbackUrls: the signing secrets, the worker that delivers the outbox, and the API over them. */
export interface Webhooks {
  secrets: WebhookSecrets;
  worker: WebhookWorker;
  deliveries: WebhookDeliveries;
}

export async function buildWebhooks(
  { config, log, metrics, now }: Foundation,
  { store, coordination }: { store: TaskStore; coordination: Coordination },
): Promise<Webhooks> {
  const secrets = await WebhookSecrets.open({
    configured: config.webhooks.secret,
    production: config.production,
    store,
    databaseUrl: config.databaseUrl,
    log,
    rotationOverlapMs: config.webhooks.rotationOverlapMs,
    now,
  });
  const worker = new WebhookWorker({
    outbox: store.webhooks,
    secrets,
    hub: coordination.hub,
    log,
    metrics,
    now,
    policy: config.outboundUrls,
    timeoutMs: config.webhooks.timeoutMs,
    retryBaseMs: config.webhooks.retryBaseMs,
    maxAgeMs: config.webhooks.maxAgeMs,
    scanIntervalMs: config.webhooks.scanIntervalMs,
  });
  const deliveries = new WebhookDeliveries({
    outbox: store.webhooks,
    secrets,
    now,
    wake: () => worker.wake(),
  });
  return { secrets, worker, deliveries };
}
