import { registerEnumType } from 'type-graphql';

export enum VoiceLanguage {
  ZH = 'ZH',
  EN = 'EN',
}

registerEnumType(VoiceLanguage, {
  name: 'VoiceLanguage',
  description: 'Language of a catalogue voice; it must match the voice.',
  valuesConfig: { ZH: { description: 'Chinese (upstream `zh`)' }, EN: { description: 'English (upstream `en`)' } },
});
