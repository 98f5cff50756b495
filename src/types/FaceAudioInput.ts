import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { MAX_AUDIO_BYTES } from './CreateLipSyncInput';
import { LastsAtLeast, StartsBefore } from './validation/advancedRules';
import { CharLength, ExactlyOneOf, InRange, IsBase64Audio, IsOutboundUrl } from './validation/rules';

/** Kling's bounds (docs/kling.md, "Advanced lip-sync"): audio and video last at most 60 s; a cropped clip ≥ 2 s. */
export const MAX_MEDIA_MS = 60_000;
export const MIN_CLIP_MS = 2_000;

@InputType({
  description:
    'One face and what it says: an audio (audioId, soundUrl or soundFile) cropped to [soundStartMs, soundEndMs] and ' +
    'inserted at soundInsertMs of the video. Times in milliseconds.',
})
export class FaceAudioInput {
  @CharLength(1, 128, { notBlank: true })
  @Field(() => ID, { description: 'A face `id` from the `identifyFaces` answer of the same session.' })
  faceId: string;

  @ExactlyOneOf(['audioId', 'soundUrl', 'soundFile'])
  @CharLength(1, 128, { notBlank: true })
  @Field(() => ID, {
    nullable: true,
    description:
      "An audio made by Kling's text-to-speech (2–60 s, last 30 days). Exactly one of audioId / soundUrl / soundFile.",
  })
  audioId?: string | null;

  @IsOutboundUrl()
  @Field(() => String, {
    nullable: true,
    description:
      'https URL on a public host of an mp3/wav/m4a/aac (≤ 5 MB, 2–60 s). Exactly one of audioId / soundUrl / soundFile.',
  })
  soundUrl?: string | null;

  @IsBase64Audio(MAX_AUDIO_BYTES)
  @Field(() => String, {
    nullable: true,
    description: 'The audio as plain Base64, ≤ 5 MB decoded. Exactly one of audioId / soundUrl / soundFile.',
  })
  soundFile?: string | null;

  @StartsBefore('soundEndMs')
  @InRange(0, MAX_MEDIA_MS)
  @Field(() => Int, { description: 'Where the clip starts in the audio (ms).' })
  soundStartMs: number;

  @LastsAtLeast('soundStartMs', MIN_CLIP_MS)
  @InRange(0, MAX_MEDIA_MS)
  @Field(() => Int, {
    description: `Where the clip ends in the audio (ms): at least ${MIN_CLIP_MS} ms after soundStartMs, and within the audio.`,
  })
  soundEndMs: number;

  @InRange(0, MAX_MEDIA_MS)
  @Field(() => Int, {
    description: `Where the clip starts in the video (ms); it must overlap the face's [startMs, endMs] by ≥ ${MIN_CLIP_MS} ms.`,
  })
  soundInsertMs: number;

  @InRange(0, 2)
  @Field(() => Float, { nullable: true, description: 'Volume of the inserted audio, 0–2 (default 1).' })
  soundVolume?: number | null;

  @InRange(0, 2)
  @Field(() => Float, {
    nullable: true,
    description: "Volume of the video's own sound, 0–2 (default 1; no effect on a silent video).",
  })
  originalAudioVolume?: number | null;
}
