import { Directive, Field, Float, ID, ObjectType } from 'type-graphql';

/**
 * Not `@shareable`: only this subgraph knows upstream videos (their URLs expire, so no other graph can answer
 * for them); a subgraph that wants them references `LipSyncTask` by key and reaches them through it.
 */
@Directive('@cacheControl(inheritMaxAge: true)')
@ObjectType({ description: 'A video known to the upstream: the source of a task or its result.' })
export class LipSyncVideo {
  @Field(() => ID, { description: 'The upstream video id (a result can be used as `videoId` of a new task).' })
  id: string;

  @Field({
    description: 'Where to download it. Result URLs are temporary upstream links: copy the file if you keep it.',
  })
  url: string;

  @Field(() => Float, { nullable: true, description: 'Length in seconds, when the upstream says.' })
  durationSeconds: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'ADVANCED with `watermark: true`: the watermarked copy (a temporary upstream link, like `url`).',
  })
  watermarkUrl: string | null;
}
