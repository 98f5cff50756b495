import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context';
import { Voice } from '../types/Voice';
import { VoiceLanguage } from '../types/VoiceLanguage';

@Resolver(() => Voice)
export class VoiceResolver {
  @Query(() => [Voice], { description: 'Catalogue voices for TEXT_TO_VIDEO, optionally of one language.' })
  voices(
    @Arg('language', () => VoiceLanguage, { nullable: true }) language: VoiceLanguage | null,
    @Ctx() ctx: RequestContext,
  ): Voice[] {
    return ctx.services.voices
      .list(language)
      .map((v) => ({ id: v.id, name: v.name, language: VoiceLanguage[v.language] }));
  }
}
