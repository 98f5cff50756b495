import type DataLoader from 'dataloader';
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../context';
import { toWebhookDelivery } from '../mappers/webhookDelivery';
import type { WebhookDeliveryRecord } from '../store/WebhookOutbox';
import { LipSyncTask } from '../types/LipSyncTask';
import { WebhookDelivery } from '../types/WebhookDelivery';

/** One loader per request (the context is per request), so a page of tasks reads its deliveries in one query. */
const loaders = new WeakMap<RequestContext, DataLoader<string, WebhookDeliveryRecord[]>>();

@Resolver(() => LipSyncTask)
export class LipSyncTaskWebhooksResolver {
  @FieldResolver(() => [WebhookDelivery], {
    description:
      "The webhooks sent (or being sent) to this task's callbackUrl, one per status it reported, in order; empty without a callbackUrl.",
  })
  async webhookDeliveries(@Root() task: LipSyncTask, @Ctx() ctx: RequestContext): Promise<WebhookDelivery[]> {
    let loader = loaders.get(ctx);
    if (!loader) {
      loader = ctx.services.webhooks.loader(ctx.tenant);
      loaders.set(ctx, loader);
    }
    return (await loader.load(task.id)).map(toWebhookDelivery);
  }
}
