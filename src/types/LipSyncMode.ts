import { registerEnumType } from 'type-graphql';

export enum LipSyncMode {
  TEXT_TO_VIDEO = 'TEXT_TO_VIDEO',
  AUDIO_TO_VIDEO = 'AUDIO_TO_VIDEO',
}

registerEnumType(LipSyncMode, {
  name: 'LipSyncMode',
  description: 'How the new speech is given: as text spoken by a catalogue voice, or as an audio track.',
  valuesConfig: {
    TEXT_TO_VIDEO: { description: 'Speak `text` with `voiceId` in `voiceLanguage` (upstream `text2video`).' },
    AUDIO_TO_VIDEO: { description: 'Use the audio at `audioUrl` or in `audioFile` (upstream `audio2video`).' },
  },
});
