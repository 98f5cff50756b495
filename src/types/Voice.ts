import { Field, ID, ObjectType } from 'type-graphql';
import { VoiceLanguage } from './VoiceLanguage';

/**
 * Not `@shareable`: a voice here is Kling's catalogue entry; another subgraph's `Voice` would be another
 * thing, and composition refusing the clash (rename one) is safer than a planner free to answer from either.
 */
@ObjectType({ description: 'A catalogue voice for TEXT_TO_VIDEO. The pair (id, language) is what must match.' })
export class Voice {
  @Field(() => ID, { description: 'Pass as `voiceId`.' })
  id: string;

  @Field(() => VoiceLanguage, { description: 'Pass as `voiceLanguage` together with this id.' })
  language: VoiceLanguage;

  @Field({ description: 'A readable name.' })
  name: string;
}
