import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A face Kling found in a video: who can be made to speak, and when they are on screen.' })
export class DetectedFace {
  @Field(() => ID, { description: "Kling's face_id: give it as `faceId` in `createAdvancedLipSync`." })
  id: string;

  @Field({ description: 'A thumbnail of the face (an upstream URL).' })
  imageUrl: string;

  @Field(() => Int, { description: 'Where the face is first seen, in milliseconds into the video.' })
  startMs: number;

  @Field(() => Int, {
    description: 'Where it is last seen (ms). The inserted audio must overlap [startMs, endMs] by at least 2,000 ms.',
  })
  endMs: number;
}
