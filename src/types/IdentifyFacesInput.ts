import { Field, ID, InputType } from 'type-graphql';
import { CharLength, ExactlyOneOf, IsOutboundUrl } from './validation/rules';

@InputType({
  description: 'The video to look for faces in (mp4/mov, 2–60 s, 720p/1080p). Empty strings count as not given.',
})
export class IdentifyFacesInput {
  @ExactlyOneOf(['videoId', 'videoUrl'])
  @CharLength(1, 128, { notBlank: true })
  @Field(() => ID, {
    nullable: true,
    description: 'A video made by Kling on the same account (last 30 days, ≤ 60 s). Exactly one of videoId / videoUrl.',
  })
  videoId?: string | null;

  @IsOutboundUrl()
  @Field(() => String, {
    nullable: true,
    description:
      'https URL (http only when the server allows it) on a public host of an mp4/mov (≤ 100 MB, 2–60 s, 720p or ' +
      '1080p), at most 2,048 characters. Exactly one of videoId / videoUrl.',
  })
  videoUrl?: string | null;
}
