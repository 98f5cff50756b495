import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context';
import { toWebhookDelivery } from '../mappers/webhookDelivery';
import { WebhookDelivery } from '../types/WebhookDelivery';

@Resolver()
export class WebhookResolver {
  @Query(() => String, {
    description:
      "This caller's Standard Webhooks signing secret (whsec_…): verify the webhooks sent to your callbackUrls with it.",
  })
  webhookSigningSecret(@Ctx() ctx: RequestContext): Promise<string> {
    return ctx.services.webhooks.signingSecret(ctx.tenant);
  }

  @Mutation(() => String, {
    description:
      'Makes a new signing secret and returns it. The previous one keeps signing too (a second signature in `webhook-signature`) for WEBHOOK_ROTATION_OVERLAP_HOURS, so receivers can switch without losing a webhook.',
  })
  rotateWebhookSigningSecret(@Ctx() ctx: RequestContext): Promise<string> {
    return ctx.services.webhooks.rotateSigningSecret(ctx.tenant);
  }

  @Mutation(() => WebhookDelivery, {
    description:
      "Sends a FAILED webhook again (same `webhook-id`), with a fresh WEBHOOK_MAX_AGE_HOURS of retries. Another tenant's or an unknown delivery is NOT_FOUND; one that is not FAILED is BAD_USER_INPUT with extensions.reason NOT_REDELIVERABLE.",
  })
  async redeliverWebhook(
    @Arg('deliveryId', () => ID) deliveryId: string,
    @Ctx() ctx: RequestContext,
  ): Promise<WebhookDelivery> {
    return toWebhookDelivery(await ctx.services.webhooks.redeliver(ctx.tenant, deliveryId));
  }
}
