import { Field, ID, ObjectType } from 'type-graphql';
import { VoiceLanguage } from './VoiceLanguage';

@ObjectType({ description: 'A catalogue voice for TEXT_TO_VIDEO. The pair (id, language) is what must match.' })
export class Voice {
  @Field(() => ID, { description: 'Pass as `voiceId`.' })
  id: string;

  @Field(() => VoiceLanguage, { description: 'Pass as `voiceLanguage` together with this id.' })
  language: VoiceLanguage;

  @Field({ description: 'A readable name.' })
  name: string;
}
