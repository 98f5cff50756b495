import type { GraphQLResolveInfo } from 'graphql';
import { Ctx, FieldResolver, Info, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../context';
import { hintCache } from '../graphql/cacheHints';
import { LipSyncVideo } from '../types/LipSyncVideo';

@Resolver(() => LipSyncVideo)
export class LipSyncVideoArchiveResolver {
  @FieldResolver(() => String, {
    nullable: true,
    description:
      "This server's own copy of the video, a signed URL that plays without a bearer header (in a <video> tag) until it expires (MEDIA_URL_TTL_SECONDS); null until archived. Ask again for a fresh one.",
  })
  async archivedUrl(
    @Root() video: LipSyncVideo,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<string | null> {
    const url = await ctx.services.archive.urlOf(ctx, ctx.tenant, video.id);
    // a signed URL expires: never cached as part of a finished task's hour-long answer
    if (url) hintCache(info, ctx, { maxAge: 0 });
    return url;
  }
}
