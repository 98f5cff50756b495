import { ValidateNested } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { FaceAudioInput } from './FaceAudioInput';
import { CallbackUrlField, IdempotencyKeyField } from './taskInputFields';
import { ListLength } from './validation/advancedRules';
import { CharLength } from './validation/rules';

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

  @CallbackUrlField()
  callbackUrl?: string | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;
}
