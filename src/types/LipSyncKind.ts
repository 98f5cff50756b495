import { registerEnumType } from 'type-graphql';

export enum LipSyncKind {
  STANDARD = 'STANDARD',
  ADVANCED = 'ADVANCED',
}

registerEnumType(LipSyncKind, {
  name: 'LipSyncKind',
  description: "Which of Kling's lip-sync endpoint families the task was made with.",
  valuesConfig: {
    STANDARD: {
      description: '`createLipSync`: the whole video speaks text or an audio track (upstream /v1/videos/lip-sync).',
    },
    ADVANCED: {
      description:
        '`createAdvancedLipSync`: one face found by `identifyFaces` speaks a cropped, placed audio clip (upstream /v1/videos/advanced-lip-sync).',
    },
  },
});
