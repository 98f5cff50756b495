import { Field, Float, ID, ObjectType } from 'type-graphql';
import { DetectedFace } from './DetectedFace';

@ObjectType({ description: 'The faces Kling found in a video, and the session an advanced lip-sync refers to.' })
export class FaceIdentification {
  @Field(() => ID, { description: "Kling's session_id: give it as `sessionId` in `createAdvancedLipSync`." })
  sessionId: string;

  @Field(() => [DetectedFace], { description: 'Every face found; empty when the video shows none (nothing to sync).' })
  faces: DetectedFace[];

  @Field(() => Float, { nullable: true, description: "What the identification cost (Kling's final_unit_deduction)." })
  unitsCharged: number | null;

  @Field(() => Date, {
    nullable: true,
    description:
      'Until when this server accepts the session (FACE_SESSION_TTL_HOURS after it was made); identify again after.',
  })
  expiresAt: Date | null;

  @Field(() => String, { nullable: true, description: "The upstream `request_id` of Kling's answer." })
  upstreamRequestId: string | null;
}
