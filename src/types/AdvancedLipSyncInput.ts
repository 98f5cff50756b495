import { ValidateNested } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from './CreateLipSyncInput';
import { FaceAudioInput } from './FaceAudioInput';
import { ListLength } from './validation/advancedRules';
import { CharLength, IsOutboundUrl } from './validation/rules';

@InputType({
  description:
    "Make a face found by `identifyFaces` speak. The session must be this caller's and not expired; each face must " +
    'belong to it. Everything is checked before Kling is called.',
})
export class AdvancedLipSyncInput {
  @CharLength(1, 128, { notBlank: true })
  @Field(() => ID, { description: 'The `sessionId` an `identifyFaces` answer gave (valid until its `expiresAt`).' })
  sessionId: string;

  @ListLength(1, 1, 'Kling supports one face per task today')
  @ValidateNested({ each: true })
  @Field(() => [FaceAudioInput], { description: 'The face that speaks and its audio: exactly one entry today.' })
  faces: FaceAudioInput[];

  @Field(() => Boolean, {
    nullable: true,
    description: 'Also make a watermarked copy (each video then has a `watermarkUrl`); default false.',
  })
  watermark?: boolean | null;

  @IsOutboundUrl()
  @Field(() => String, {
    nullable: true,
    description:
      'Where this server will send webhooks for the task (same URL rules as videoUrl). Never forwarded to the upstream.',
  })
  callbackUrl?: string | null;

  @CharLength(1, MAX_IDEMPOTENCY_KEY_LENGTH)
  @Field(() => String, {
    nullable: true,
    description:
      'Makes retries safe: the same key with the same input returns the same task (one upstream call) for 24 h; ' +
      'the same key with another input is rejected. Defaults to the Idempotency-Key HTTP header.',
  })
  idempotencyKey?: string | null;
}
