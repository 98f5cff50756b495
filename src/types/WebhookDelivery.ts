import { Field, ID, Int, ObjectType } from 'type-graphql';
import { LipSyncTaskStatus } from './LipSyncTaskStatus';
import { WebhookDeliveryState } from './WebhookDeliveryState';

@ObjectType({
  description:
    "One webhook: a task's status change, POSTed to the task's callbackUrl, signed per Standard Webhooks (see the README, Webhooks).",
})
export class WebhookDelivery {
  @Field(() => ID, {
    description: 'Also the `webhook-id` header: the same on every retry, so a receiver can drop repeats.',
  })
  id: string;

  @Field(() => LipSyncTaskStatus, { description: 'The status the webhook reports.' })
  status: LipSyncTaskStatus;

  @Field(() => WebhookDeliveryState)
  state: WebhookDeliveryState;

  @Field(() => Int, { description: 'Attempts made so far.' })
  attempts: number;

  @Field(() => Date, { nullable: true })
  lastAttemptAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it is tried next; null unless PENDING.' })
  nextAttemptAt: Date | null;

  @Field(() => Int, {
    nullable: true,
    description: "The receiver's HTTP status on the last attempt (null: no answer).",
  })
  lastResponseStatus: number | null;
}
